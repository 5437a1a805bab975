"""The failure a test item raises for its new findings: one exception class per
category (the most severe finding's names it), with a message giving every new
signature with its shrunk call and repro, real and fake side by side."""

from __future__ import annotations

from ..check.checker import DeviceCheck
from ..check.classify import CATEGORIES, SEVERITIES
from ..check.compare import Outcome, TensorMeta, Value
from .record import display_path
from ..search.item import ItemResult


class CrossrefMismatch(AssertionError):
    """Fake mode answered differently from the real kernel."""

    category = ""


MISMATCH_TYPES: dict[str, type[CrossrefMismatch]] = {
    c: type(f"FakeMismatch_{c}", (CrossrefMismatch,), {"category": c, "__module__": __name__}) for c in CATEGORIES
}


def _side(o: Outcome, name: str = "out") -> list[str]:
    if o.error is not None:
        return [f"raised {o.error.short()}"]
    rows = [f"structure {o.structure}"]
    for i, m in enumerate(o.outputs):
        rows.append(f"{name}[{i}] " + _meta_text(m))
    for what, guard in o.specialized:
        rows.append(f"{what} fixed: {guard}")
    return rows


def _meta_text(m: TensorMeta | Value) -> str:
    if isinstance(m, Value):
        return f"{m.type} {m.text}"
    alias = "new" if not m.aliases else "aliases " + ",".join(f"in[{i}]" for i in m.aliases)
    flags = "".join(f" {n}" for n, v in (("requires_grad", m.requires_grad), ("conj", m.is_conj), ("neg", m.is_neg)) if v)
    return (f"{m.dtype}{list(m.shape)} stride={m.stride} offset={m.storage_offset} "
            f"{m.device} {alias}{' is in[%d]' % m.is_input if m.is_input is not None else ''}{flags}")


#: Findings shown with real and fake side by side in a failure message; the rest get a line each.
SIDE_BY_SIDE = 5


def _table(ch: DeviceCheck) -> list[str]:
    name = "grad" if ch.mode == "backward" else "out"
    real, fake = _side(ch.real, name), _side(ch.fake, name)
    width = max(len(r) for r in real) + 2
    lines = [f"      {ch.device}: {'real':<{width}}| fake", "      " + "-" * (width + 12)]
    for i in range(max(len(real), len(fake))):
        r = real[i] if i < len(real) else ""
        fk = fake[i] if i < len(fake) else ""
        lines.append(f"      {'':{len(ch.device)}}  {r:<{width}}| {fk}")
    return lines


def message(result: ItemResult) -> str:
    """Every new finding of an item: what differs, the shrunk call, the repro; the
    first few with real and fake side by side."""
    new = result.new
    lines = [f"fake mode disagrees with the real kernel: {len(new)} new finding(s) in {result.examples} examples "
             f"({result.checks} checks)"]
    for i, n in enumerate(new):
        f = n.finding
        how = "shrunk" if n.shrunk is not None else "not shrunk"
        if n.shrunk is not None:
            how += f" in {n.shrunk.checks} checks" + ("" if n.shrunk.complete else ", budget spent")
        where = f"{f.device}" + (f", {f.mode} mode" if f.mode != "static" else "")
        inner = f" (inside the backward: {f.inner_op})" if f.inner_op else ""
        lines += ["", f"  [{f.severity} {f.category}] {where} {f.field}{inner}: real={f.real}  fake={f.fake}",
                  f"      call: {n.call.describe_mode(f.mode)}  ({how})",
                  f"      signature {f.signature}  repro: python {display_path(n.repro) if n.repro else '?'}"]
        if i < SIDE_BY_SIDE:
            for ch in n.checks:
                if ch.device == f.device and ch.mode == f.mode and f in ch.findings:
                    lines += _table(ch)
    return "\n".join(lines)


def mismatch_error(result: ItemResult) -> CrossrefMismatch:
    """The item's failure: its class is the most severe new finding's category."""
    first = min(result.new, key=lambda n: (SEVERITIES.index(n.finding.severity), CATEGORIES.index(n.finding.category)))
    return MISMATCH_TYPES[first.finding.category](message(result))
