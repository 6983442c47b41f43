"""A process that maps one share of a big table (see table_load.MappingRun._write_parallel).

Reads the pickled (mapping, part, output file) from stdin and writes the pickled
PartResult (None when the share has bad rows) to the file named on the command line.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from tillvaxtgraf.loaders.table_load import map_part

    mapping, part, out = pickle.load(sys.stdin.buffer)
    result = map_part(mapping, part, out)
    with open(sys.argv[1], "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    main()
