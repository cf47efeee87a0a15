"""``python -m bot``: the same as the ``qrinfo`` command."""

import sys

from bot.cli import main

sys.exit(main())
