"""tillvaxtgraf: an open knowledge graph of Swedish regional growth work."""

__version__ = "0.1.0"
