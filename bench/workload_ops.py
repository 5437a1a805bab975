"""Which ATen ops real models call: writes crossref/workload_ops.txt (crossref/workload.py).

Runs models from torchvision, timm and transformers, built from their configs with
random weights (nothing is downloaded), forward and backward, three ways: float32,
channels_last (the vision models) and bfloat16 autocast, under a dispatch mode that
records every ATen overload that reaches the kernels. The packages are not crossref's
dependencies: install them in the environment that runs this script
(``pip install torchvision timm transformers``; PyPI's torchvision is a CUDA build whose
C++ ops do not load beside a CPU torch, and its import fails while it registers their
fake kernels; its models need none of them, so that failure is tolerated here).

    python bench/workload_ops.py                 # print the table, write the list
    python bench/workload_ops.py --check         # only compare with the list shipped
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

OUT = Path(__file__).resolve().parent.parent / "crossref" / "workload_ops.txt"


class Recorder(TorchDispatchMode):
    """Every ATen overload that runs under it (backward included)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func)
        if name.startswith("aten."):
            self.ops.add(name)
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def _tolerant_fake_registration():
    """torchvision registers fake kernels for C++ ops that a CPU torch beside PyPI's
    CUDA torchvision never loaded: let those registrations fail quietly."""
    original = torch.library.register_fake

    def register_fake(op, *args, **kwargs):
        try:
            out = original(op, *args, **kwargs)
        except Exception:  # noqa: BLE001 - the op does not exist here
            return lambda fn: fn
        if args or "func" in kwargs:  # registered already
            return out

        def decorator(fn):  # the decorator form registers when applied
            try:
                return out(fn)
            except Exception:  # noqa: BLE001
                return fn

        return decorator

    torch.library.register_fake = register_fake
    try:
        yield
    finally:
        torch.library.register_fake = original


def _torchvision():
    with _tolerant_fake_registration():
        try:
            return importlib.import_module("torchvision.models")
        except Exception as exc:  # noqa: BLE001
            print(f"torchvision not usable: {type(exc).__name__}: {exc}", file=sys.stderr)
            return None


def vision_models():
    """(name, build, input shape) of the image models."""
    out = []
    tv = _torchvision()
    if tv is not None:
        for name, size in (("resnet18", 64), ("mobilenet_v3_small", 64), ("efficientnet_b0", 64),
                           ("convnext_tiny", 64), ("densenet121", 64), ("regnet_y_400mf", 64),
                           ("shufflenet_v2_x0_5", 64), ("squeezenet1_1", 64), ("vit_b_16", 224), ("swin_t", 64)):
            out.append((f"torchvision.{name}", lambda n=name: getattr(tv, n)(weights=None), (2, 3, size, size)))
    try:
        timm = importlib.import_module("timm")
    except Exception as exc:  # noqa: BLE001
        print(f"timm not usable: {type(exc).__name__}: {exc}", file=sys.stderr)
        timm = None
    if timm is not None:
        for name, size, kw in (("resnet26d", 64, {}), ("efficientnet_b0", 64, {}), ("convnext_atto", 64, {}),
                               ("vit_tiny_patch16_224", 64, {"img_size": 64}), ("deit_tiny_patch16_224", 64,
                                                                                {"img_size": 64}),
                               ("mobilevit_xxs", 64, {}), ("regnetx_002", 64, {})):
            out.append((f"timm.{name}", lambda n=name, k=kw: timm.create_model(n, pretrained=False, **k),
                        (2, 3, size, size)))
    return out


def text_models():
    """(name, build, make inputs) of the transformers models, small configs."""
    try:
        tr = importlib.import_module("transformers")
    except Exception as exc:  # noqa: BLE001
        print(f"transformers not usable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return []
    small = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, vocab_size=512)
    configs = [
        ("bert", lambda: tr.BertForMaskedLM(tr.BertConfig(**small))),
        ("gpt2", lambda: tr.GPT2LMHeadModel(tr.GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=512))),
        ("llama", lambda: tr.LlamaForCausalLM(tr.LlamaConfig(**small, num_key_value_heads=2))),
        ("t5", lambda: tr.T5ForConditionalGeneration(tr.T5Config(d_model=64, d_ff=128, num_layers=2, num_heads=4,
                                                                  vocab_size=512, d_kv=16, decoder_start_token_id=0,
                                                                  pad_token_id=0))),
        ("distilbert", lambda: tr.DistilBertForMaskedLM(tr.DistilBertConfig(dim=64, n_layers=2, n_heads=4,
                                                                            hidden_dim=128, vocab_size=512))),
        ("roberta", lambda: tr.RobertaForMaskedLM(tr.RobertaConfig(**small))),
        ("mistral", lambda: tr.MistralForCausalLM(tr.MistralConfig(**small, num_key_value_heads=2))),
    ]

    def inputs(name):
        ids = torch.randint(0, 512, (2, 16))
        if name == "t5":
            return {"input_ids": ids, "labels": torch.randint(0, 512, (2, 8))}
        return {"input_ids": ids, "labels": ids}

    return [(f"transformers.{n}", build, lambda n=n: inputs(n)) for n, build in configs]


def run_vision(build, shape, how: str, rec: Recorder) -> None:
    model = build().train()
    x = torch.randn(shape)
    if how == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    context = torch.autocast("cpu", dtype=torch.bfloat16) if how == "autocast" else contextlib.nullcontext()
    with rec, context:
        out = model(x)
        out = out.logits if hasattr(out, "logits") else out
        out.float().sum().backward()


def run_text(build, make, how: str, rec: Recorder) -> None:
    model = build().train()
    context = torch.autocast("cpu", dtype=torch.bfloat16) if how == "autocast" else contextlib.nullcontext()
    with rec, context:
        out = model(**make())
        out.loss.backward()


def record() -> tuple[Counter, dict[str, int], list[str]]:
    """(models per op, ops per model, failures)."""
    torch.manual_seed(0)
    per_op: Counter = Counter()
    per_model: dict[str, int] = {}
    failed: list[str] = []
    jobs = [(name, "vision", build, shape) for name, build, shape in vision_models()]
    jobs += [(name, "text", build, make) for name, build, make in text_models()]
    for name, kind, build, extra in jobs:
        ops: set[str] = set()
        start = time.perf_counter()
        for how in (("float32", "channels_last", "autocast") if kind == "vision" else ("float32", "autocast")):
            rec = Recorder()
            try:
                (run_vision if kind == "vision" else run_text)(build, extra, how, rec)
            except Exception as exc:  # noqa: BLE001 - one model failing does not stop the list
                failed.append(f"{name} ({how}): {type(exc).__name__}: {str(exc)[:120]}")
                traceback.print_exc(limit=2, file=sys.stderr)
            ops |= rec.ops
        per_model[name] = len(ops)
        per_op.update(ops)
        print(f"{name:40} {len(ops):4} ops  {time.perf_counter() - start:6.1f} s", flush=True)
    return per_op, per_model, failed


def write(per_op: Counter, per_model: dict[str, int]) -> None:
    versions = []
    for package in ("torch", "torchvision", "timm", "transformers"):
        try:
            versions.append(f"{package} {importlib.import_module(package).__version__}")
        except Exception:  # noqa: BLE001
            pass
    lines = ["# The ATen overloads common models call, forward and backward (float32, channels_last, bfloat16",
             "# autocast): written by bench/workload_ops.py, read by crossref/workload.py.",
             f"# {len(per_model)} models: {', '.join(per_model)}",
             f"# {'; '.join(versions)}",
             "# overload  # how many of the models call it"]
    lines += [f"{op}  # {n}" for op, n in sorted(per_op.items())]
    OUT.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped list, write nothing")
    args = parser.parse_args()
    per_op, per_model, failed = record()
    print(f"\n{len(per_model)} models, {len(per_op)} distinct ATen overloads; {len(failed)} runs failed")
    for f in failed:
        print("  failed:", f)
    if args.check:
        from crossref import workload

        shipped = workload.ops()
        print(f"shipped list: {len(shipped)}; only here: {sorted(set(per_op) - shipped)[:20]}; "
              f"only shipped: {sorted(shipped - set(per_op))[:20]}")
        return 0
    write(per_op, per_model)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
