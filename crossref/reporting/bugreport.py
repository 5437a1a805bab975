"""Paste-ready bug reports: ``crossref report SIGNATURE`` (torch-free).

``render`` wraps a finding's row in a markdown issue body: title, what the finding
breaks in a compiled program (its consequence and an eager-against-compiled snippet,
when it was probed: crossref/impact/consequence.py), what happens in fake mode, the
implementation that answered, the snippet (``repro.snippet`` wrote it in the worker: a
short plain-torch program that builds the shrunk call's inputs and prints the field
for the kernel and for fake mode), expected against actual, the root-cause cluster,
versions. A symbolic, backward, cache or crash finding has no snippet (its mode's
machinery is part of the repro): its report carries the full repro script instead.
"""

from __future__ import annotations

_WHAT = {
    "missing_error": "fake mode accepts a call the kernel rejects (a missing check)",
    "spurious_error": "fake mode raises where the kernel returns",
    "unsupported": "fake mode cannot answer the call (a declared limitation)",
    "backend_error": "the kernel's backend library refuses the call, which no meta kernel can predict",
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


#: What each consequence (taxonomy.Impact) means for a user of torch.compile.
_CONSEQUENCE = {
    "wrong_values": "a compiled program computes other values than eager",
    "crash": "a compiled program dies where eager runs",
    "wrong_metadata": "a compiled program returns outputs laid out differently from eager's (shape, dtype, "
                      "strides or aliasing)",
    "runtime_assert": "a compiled program fails inductor's own size/stride assertion at run time",
    "accepts_invalid": "a compiled program runs a call eager rejects",
    "compile_error": "torch.compile fails where eager runs",
    "none": "torch.compile's backends agree with eager on this call",
}


def _consequence(row: dict) -> list[str]:
    """The lead of the report: what the finding breaks in a compiled program
    (crossref/impact/consequence.py), with the eager-against-compiled snippet."""
    impact = row.get("impact") or ""
    if impact not in _CONSEQUENCE:
        return []
    lines = [f"**In a compiled program:** {_CONSEQUENCE[impact]} (`{impact}`). {row.get('impact_detail', '')}", ""]
    if row.get("impact_backends"):
        lines += ["Per backend: " + ", ".join(f"`{b}`" for b in str(row["impact_backends"]).split(",")), ""]
    code = (row.get("impact_snippet") or "").rstrip()
    if code:
        lines += ["**Eager against compiled** (plain torch):", "", "```python", code, "```", ""]
    return lines


def render(row: dict, summary: dict, cluster: dict | None, script: str, run: str) -> str:
    """The markdown issue body of one finding (``row``: its findings.parquet row;
    ``script``: its full repro script's text, for the report when there is no snippet).
    It leads with what the finding breaks in a compiled program, when it was probed."""
    field, real, fake = row["field"], row["real"], row["fake"]
    code = (row.get("snippet") or "").rstrip()
    impl = row.get("fake_impl") or ""
    lines = [f"### {title(row)}", "", *_consequence(row)]
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
