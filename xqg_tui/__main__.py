"""``python -m xqg_tui`` runs the command line."""

import sys

from xqg_tui.cli import main

sys.exit(main())
