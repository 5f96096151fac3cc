"""``python -m digitalcx_frames``: the command-line interface."""

from __future__ import annotations

import sys

from digitalcx_frames.cli import main

sys.exit(main())
