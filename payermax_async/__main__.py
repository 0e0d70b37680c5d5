"""``python -m payermax_async``: see :mod:`payermax_async.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
