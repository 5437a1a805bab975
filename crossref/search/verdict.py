"""What a check tells the driver that draws calls (strategies/drive.py), in a leaf module:
importing a strategy loads no check, recorder or shrinker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the real kernel accepted a call (then its variants are checked), and the
    dtypes (names) it refused as unsupported (not drawn again for the op)."""

    accepted: bool
    refused: frozenset[str] = frozenset()
