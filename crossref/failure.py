"""The failure a test item raises for new findings: one exception class per category
(so Hypothesis shrinks distinct bugs apart instead of slipping from one to another),
with a message showing the shrunk call, real vs fake side by side, and the repro."""

from __future__ import annotations

from .check import DeviceCheck
from .classify import CATEGORIES, Finding
from .execute import Outcome, TensorMeta, Value
from .opcall import OpCall


class CrossrefMismatch(AssertionError):
    """Fake mode answered differently from the real kernel."""

    category = ""


MISMATCH_TYPES: dict[str, type[CrossrefMismatch]] = {
    c: type(f"FakeMismatch_{c}", (CrossrefMismatch,), {"category": c, "__module__": __name__}) for c in CATEGORIES
}


def _side(o: Outcome) -> list[str]:
    if o.error is not None:
        return [f"raised {o.error.short()}"]
    rows = [f"structure {o.structure}"]
    for i, m in enumerate(o.outputs):
        rows.append(f"out[{i}] " + _meta_text(m))
    return rows


def _meta_text(m: TensorMeta | Value) -> str:
    if isinstance(m, Value):
        return f"{m.type} {m.text}"
    alias = "new" if not m.aliases else "aliases " + ",".join(f"in[{i}]" for i in m.aliases)
    flags = "".join(f" {n}" for n, v in (("requires_grad", m.requires_grad), ("conj", m.is_conj), ("neg", m.is_neg)) if v)
    return (f"{m.dtype}{list(m.shape)} stride={m.stride} offset={m.storage_offset} "
            f"{m.device} {alias}{' is in[%d]' % m.is_input if m.is_input is not None else ''}{flags}")


def message(call: OpCall, checks: list[DeviceCheck], failing: list[Finding], repros: dict[str, str]) -> str:
    lines = [f"fake mode disagrees with the real kernel: {len(failing)} new finding(s)", f"call: {call.describe()}", ""]
    for f in failing:
        lines.append(f"  [{f.severity} {f.category}] {f.device} {f.field}: real={f.real}  fake={f.fake}")
        lines.append(f"      signature {f.signature}  repro: python {repros.get(f.signature, '?')}")
    for ch in checks:
        if not any(f.device == ch.device for f in failing):
            continue
        real, fake = _side(ch.real), _side(ch.fake)
        width = max(len(r) for r in real) + 2
        lines += ["", f"  {ch.device}: {'real':<{width}}| fake", "  " + "-" * (width + 12)]
        for i in range(max(len(real), len(fake))):
            r = real[i] if i < len(real) else ""
            fk = fake[i] if i < len(fake) else ""
            lines.append(f"  {'':{len(ch.device)}}  {r:<{width}}| {fk}")
    return "\n".join(lines)


def mismatch_error(call: OpCall, checks: list[DeviceCheck], failing: list[Finding], repros: dict[str, str]) -> CrossrefMismatch:
    cls = MISMATCH_TYPES[sorted(failing, key=lambda f: CATEGORIES.index(f.category))[0].category]
    return cls(message(call, checks, failing, repros))
