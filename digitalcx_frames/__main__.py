"""``python -m digitalcx_frames``: the command-line interface."""

from __future__ import annotations

import sys

try:
    from digitalcx_frames._cli import main

    code = main()
except KeyboardInterrupt:  # a Ctrl-C during the import, before main() handles it
    code = 130
sys.exit(code)
