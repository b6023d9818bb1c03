"""`python -m kiosk`: see kiosk/cli.py."""

import sys

from .cli import main

sys.exit(main())
