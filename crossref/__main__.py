"""``python -m crossref`` and the ``crossref`` script (pyproject: ``crossref.__main__:main``).
The commands live in cli.py."""

from __future__ import annotations

import sys

from .reporting.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
