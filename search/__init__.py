"""Full-text search over labels and descriptions: a derived SQLite FTS5 index.

The store stays the truth; the index is rebuilt from it with every load and published
together with the snapshot it mirrors. Importing this package registers the builder.
"""

from tillvaxtgraf.search import builder as _builder  # noqa: F401 - registers the builder
