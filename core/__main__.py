"""``python -m tillvaxtgraf``: the same as the ``tillvaxtgraf`` command."""

from tillvaxtgraf.cli import main

main()
