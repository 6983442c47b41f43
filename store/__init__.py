"""Storage: the Store interface the service depends on, and its backends."""
