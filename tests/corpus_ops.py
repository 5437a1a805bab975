"""A test-only custom op (namespace ``crossref_corpus``) whose planted fake-kernel bug only
the calls of its own library's tests reach: its kernel takes nothing but 8x4 float32
matrices and a width of 1 to 3, which schema-driven draws almost never make, and its
fake kernel gets the output's layout wrong for a width of 3. Watching the library's
tests (``--crossref-watch``) gives a corpus of valid calls; a sweep seeded with it
(``--crossref-corpus``) finds the bug at the ci budget, a sweep without it does not.
"""

from __future__ import annotations

import torch
from torch import Tensor

NS = "crossref_corpus"
OP = f"{NS}.leading_columns.default"


def _check(x: Tensor, width: int) -> None:
    torch._check(tuple(x.shape) == (8, 4) and x.dtype == torch.float32,
                 lambda: "leading_columns: x must be an 8x4 float32 matrix")
    torch._check(1 <= width <= 3, lambda: "leading_columns: width must be 1, 2 or 3")


if not hasattr(getattr(torch.ops, NS), "leading_columns"):
    @torch.library.custom_op(f"{NS}::leading_columns", mutates_args=())
    def leading_columns(x: Tensor, width: int) -> Tensor:
        if tuple(x.shape) != (8, 4) or x.dtype != torch.float32 or not 1 <= width <= 3:
            raise ValueError("leading_columns: x must be an 8x4 float32 matrix and width 1, 2 or 3")
        return x[:, :width].contiguous()

    @leading_columns.register_fake
    def _(x, width):
        _check(x, width)
        if width == 3:  # planted: column-major, where the kernel returns a contiguous matrix
            return torch.empty((width, 8), dtype=x.dtype, device=x.device).t()
        return torch.empty((8, width), dtype=x.dtype, device=x.device)


def library_test_source() -> str:
    """The library's own test file, as its authors would write it: the calls a user makes."""
    return (
        "import sys\n"
        f"sys.path.insert(0, {str(__import__('pathlib').Path(__file__).resolve().parent)!r})\n"
        "import torch\n"
        "import corpus_ops  # noqa: F401\n\n\n"
        "def test_widths():\n"
        "    x = torch.randn(8, 4)\n"
        "    for width in (1, 2, 3):\n"
        "        out = torch.ops.crossref_corpus.leading_columns(x, width)\n"
        "        assert out.shape == (8, width)\n"
    )
