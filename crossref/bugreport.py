"""Paste-ready bug reports: ``crossref report SIGNATURE``.

Two halves. ``snippet`` (in the worker, with torch) writes a short plain-torch program
for a finding: it builds the shrunk call's inputs (the repro's own input code:
crossref/repro.py) and prints, for the real kernel and for fake mode, the field that
differs. It is stored with the finding's example (column ``snippet``). ``render`` (in
the CLI, torch-free) wraps it in a markdown issue body: title, what happens, the
snippet, expected against actual, the implementation that answered, the root-cause
cluster, versions.

The snippet covers findings of static and autocast mode, about ten lines plus the
inputs. A symbolic, backward, cache or crash finding needs the mode's machinery
(a ShapeEnv, gradients laid out as drawn, a cold and a warm cache, a child process):
its report carries the full standalone repro script instead, which also runs with
plain torch and prints real against fake.
"""

from __future__ import annotations

import re

#: Modes and categories whose findings get the short snippet.
SNIPPET_MODES = ("static", "autocast")
_NO_SNIPPET = frozenset({"cache", "crash", "specialization"})

#: How the snippet prints one tensor field of a tensor ``o``.
_ATTRS = {
    "shape": "tuple({o}.shape)", "stride": "{o}.stride()", "storage_offset": "{o}.storage_offset()",
    "dtype": "{o}.dtype", "device": "{o}.device", "layout": "{o}.layout", "requires_grad": "{o}.requires_grad",
    "is_conj": "{o}.is_conj()", "is_neg": "{o}.is_neg()",
    "aliases": "[k for k, x in enumerate(ins) if StorageWeakRef(x.untyped_storage()) == "
               "StorageWeakRef({o}.untyped_storage())]",
    "is_input": "[k for k, x in enumerate(ins) if x is {o}]",
}
_FIELD = re.compile(r"^(out|input)\[(\d+)\](?:\.(\w+))?$")


def field_expression(field: str) -> str | None:
    """The Python expression, over ``out`` (the op's result) and ``ins`` (its input
    tensors after the call), that prints ``field``; None for a field it cannot show."""
    if field == "error":
        return '"returned normally"'
    if field == "out":
        return '[("Tensor" if isinstance(x, torch.Tensor) else type(x).__name__) for x in tree_leaves(out)]'
    if field == "out.shared_storage":
        return "[StorageWeakRef(o.untyped_storage()) == StorageWeakRef(p.untyped_storage()) " \
               "for o in tree_leaves(out) for p in tree_leaves(out)]"
    m = _FIELD.match(field)
    if not m:
        return None
    group, index, attr = m.groups()
    target = f"tree_leaves(out)[{index}]" if group == "out" else f"ins[{index}]"
    if attr is None:
        return target  # a non-tensor output
    template = _ATTRS.get(attr)
    return template.format(o=target) if template else None


def snippet(call, *, category: str, field: str, device: str, mode: str = "static", autocast: str = "") -> str:
    """A short plain-torch program that prints ``field`` for the real kernel and for fake
    mode on ``call`` (an OpCall); ``""`` when the finding's mode or category needs the
    full repro script (see the module docstring)."""
    from .repro import _call_code, _storage_lines, _tensor_lines  # the repro's input code, one renderer

    expr = field_expression(field)
    if mode not in SNIPPET_MODES or category in _NO_SNIPPET or expr is None:
        return ""
    names: dict = {}
    lines = []
    for spec in call.tensor_specs():
        if spec not in names:
            names[spec] = f"t{len(names)}"
            lines += _tensor_lines(call, spec, names[spec], "    ")
    args, kwargs, inputs = _call_code(call, names)
    namespace, packet, overload = call.op.split(".", 2)
    context = f", torch.autocast({device.split(':')[0]!r}, dtype=torch.{autocast})" if autocast else ""
    return "\n".join([
        "import contextlib",
        "import warnings",
        "import torch",
        "from torch._subclasses.fake_tensor import FakeTensorMode",
        "from torch.multiprocessing.reductions import StorageWeakRef",
        "from torch.utils._pytree import tree_leaves, tree_map_only",
        "",
        f"DEVICE = {device!r}",
        'warnings.simplefilter("ignore")',
        "",
        "def inputs():",
        *_storage_lines(call, "    "),
        *lines,
        f"    return ({args}), {{{kwargs}}}, {inputs}",
        "",
        'for side in ("real", "fake"):',
        "    args, kwargs, ins = inputs()",
        "    mode = FakeTensorMode() if side == \"fake\" else contextlib.nullcontext()",
        "    if side == \"fake\":  # fakes of the same inputs, as torch.compile makes them",
        "        args, kwargs, ins = tree_map_only(torch.Tensor, mode.from_tensor, (args, kwargs, ins))",
        "    try:",
        f"        with mode{context}:",
        f"            out = torch.ops.{namespace}.{packet}.{overload}(*args, **kwargs)",
        f"        print(side, {expr})" if field == "error" else f"        print(side, {field!r}, {expr})",
        "    except Exception as e:",
        "        print(side, \"raised\", f\"{type(e).__name__}: {str(e).strip().splitlines()[0]}\")",
    ]) + "\n"


_WHAT = {
    "missing_error": "fake mode accepts a call the kernel rejects (a missing check)",
    "spurious_error": "fake mode raises where the kernel returns",
    "unsupported": "fake mode cannot answer the call (a declared limitation)",
    "mutation": "after the call, fake mode's input metadata differs from the kernel's",
    "cache": "the fake dispatch cache serves an answer that differs from a fresh computation",
    "specialization": "tracing with dynamic shapes installs a guard that fixes a dynamic size",
    "crash": "the call crashes or hangs the process",
}
_MODE_WORDS = {"static": "static shapes", "symbolic": "dynamic shapes (ShapeEnv)",
               "backward": "in the backward pass", "autocast": "under autocast"}


def title(row: dict) -> str:
    op = row["op"]
    what = _WHAT.get(row["category"]) or f"fake mode's {row['field']} differs from the kernel's"
    return f"[fake tensor] {op}: {what} ({row['device']}, {_MODE_WORDS.get(row['mode'], row['mode'])})"


def render(row: dict, summary: dict, cluster: dict | None, script: str, run: str) -> str:
    """The markdown issue body of one finding (``row``: its findings.parquet row;
    ``script``: its full repro script's text, for the report when there is no snippet)."""
    field, real, fake = row["field"], row["real"], row["fake"]
    code = (row.get("snippet") or "").rstrip()
    impl = row.get("fake_impl") or ""
    lines = [f"### {title(row)}", ""]
    where = f"`{row['op']}`" + (f" (inside the backward: `{row['inner_op']}`)" if row.get("inner_op") else "")
    lines += [f"Under `FakeTensorMode`, {where} answers **{field}** = `{fake}` where the {row['device']} kernel "
              f"gives `{real}`. torch.compile, torch.export and AOTAutograd trace with fake tensors, so a compiled "
              "program is built on fake mode's answer.", ""]
    if impl:
        lines += [f"**Implementation that answered in fake mode:** `{impl}`", ""]
    if code:
        lines += ["**Repro** (plain torch; prints the field for the kernel and for fake mode):", "", "```python",
                  code, "```", ""]
    else:
        lines += [f"**Repro** (plain torch; the {row['mode']} mode's machinery is part of it: exit 1 while it "
                  "reproduces):", "", "```python", script.rstrip(), "```", ""]
    lines += ["**Expected** (the kernel):", "", "```", f"{field}: {real}", "```", "",
              "**Actual** (fake mode):", "", "```", f"{field}: {fake}", "```", "",
              f"Shrunk call: `{row.get('example', '')}`", ""]
    if cluster and cluster.get("op_count", 0) > 1:
        others = [o for o in cluster["ops"] if o != row["op"]]
        shown = ", ".join(f"`{o}`" for o in others[:12]) + (f" and {len(others) - 12} more" if len(others) > 12 else "")
        lines += [f"The same cause ({cluster['title']}) shows in {cluster['op_count']} ops "
                  f"({cluster['findings']} findings): {shown}.", ""]
    lines += ["**Versions:** " + ", ".join(filter(None, [
        f"torch {summary.get('torch_version', '?')}", f"Python {summary.get('python', '?')}",
        f"found by crossref {summary.get('harness_version', '?')} (signature `{row['signature']}`, run `{run}`, "
        f"seen {row.get('count', 0)} times)"]))]
    return "\n".join(lines) + "\n"
