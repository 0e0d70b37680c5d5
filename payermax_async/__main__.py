"""``python -m payermax_async``: see :mod:`payermax_async.cli`."""

import sys

from payermax_async.cli import main  # absolute: this file also runs as a script

if __name__ == "__main__":
    sys.exit(main())
