"""Refiners for neural-network layers: convolutions, pools and normalizations.

Shapes are drawn from the layer's hyper-parameters so that they agree: channels
divisible by groups, weights shaped (C_out, C_in/groups, *kernel) (transposed:
(C_in, C_out/groups, *kernel)), spatial sizes that fit the dilated kernel after
padding, output_padding below stride or dilation, pool padding at most half the
kernel, norm weights/biases/running stats of C (or normalized_shape) elements.
Gradient inputs of backward ops take the forward output's shape (computed on the
meta device). Resampling takes (N, C, *spatial) inputs and output sizes of the spatial
rank; binary cross-entropy takes probabilities. Floating dtypes, float32 mostly; 4-d/5-d inputs come channels_last
sometimes (the tensor strategy's layouts). About 1 in 10 calls breaks one rule.
"""

from __future__ import annotations

import dataclasses
import functools

import torch

from ._common import Refiners
from ._common import (
    NO_VALUE,
    index_tensor,
    main,
    meta_shape,
    numel,
    one_in,
    only_known,
    pick,
    type_of,
    upto,
    wrong,
)
from ..tensors import shapes

REFINERS = Refiners()
register = REFINERS.register

_FLOATS = [torch.float32, torch.float64, torch.float32, torch.bfloat16]


def _spatial_rank(ctx, default: int = 2) -> int:
    """Spatial dims from the name (conv2d, max_pool3d, ...) or a fixed-length list arg."""
    name = ctx.entry.base_name
    for k in (1, 2, 3):
        if f"{k}d" in name:
            return k
    return pick(ctx, [default, 1, 3])


def _floats(ctx) -> torch.dtype:
    return pick(ctx, _FLOATS)


def _operand(ctx, shape, dtype=None):
    return ctx.tensor(shape=tuple(shape), dtype=dtype or ctx.dtype)


# ---------------------------------------------------------------- convolution

_SLOW = {"_slow_conv2d_forward", "thnn_conv2d", "slow_conv3d", "slow_conv_dilated2d", "slow_conv_dilated3d",
         "slow_conv_transpose2d", "slow_conv_transpose3d", "_slow_conv2d_backward"}


@register("convolution", "_convolution", "_convolution_mode", "conv1d", "conv2d", "conv3d",
          "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution_backward",
          "conv_depthwise3d", *_SLOW)
def convolution(ctx) -> dict:
    base = ctx.entry.base_name
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    transposed = "transpose" in base or (type_of(ctx, "transposed") is not None and one_in(ctx, 3))
    groups = 1 if base in _SLOW else pick(ctx, [1, 1, 2])
    # convolution_backward aborts on an empty batch (torch 2.13); slow kernels reject one.
    batch = pick(ctx, [1, 2] if base.endswith("_backward") or base in _SLOW else [1, 2, 0])
    cin_g, cout_g = upto(ctx, 2, 1), upto(ctx, 2, 1)
    kernel = [upto(ctx, 3, 1) for _ in range(k)]
    stride = [pick(ctx, [1, 2]) for _ in range(k)]
    dilation = [1 if base.startswith(("_slow", "thnn", "slow_conv3d")) else pick(ctx, [1, 2]) for _ in range(k)]
    # transposed: padding at most half the dilated kernel, so the output is not empty
    padding = [upto(ctx, d * (kk - 1) // 2 if transposed else 1) for d, kk in zip(dilation, kernel)]
    out_pad = [upto(ctx, max(s, d) - 1) if transposed else 0 for s, d in zip(stride, dilation)]
    mode = pick(ctx, ["valid", "same"]) if type_of(ctx, "padding") == "str" else None
    if mode == "same":
        stride = [1] * k
    need = [d * (kk - 1) + 1 - (0 if transposed or mode else 2 * p) for d, kk, p in zip(dilation, kernel, padding)]
    spatial = [max(n, 1) + upto(ctx, 2) for n in need]
    c_in, c_out = cin_g * groups, cout_g * groups
    if bad:
        c_in += 1
    dtype = _floats(ctx)
    unbatched = base.startswith("conv") and base[4:5].isdigit() and one_in(ctx, 5)
    x = main(ctx, shape=([] if unbatched else [batch]) + [c_in] + spatial, dtype=dtype)
    w_shape = [c_in, cout_g] if transposed else [c_out, cin_g]
    weight = _operand(ctx, w_shape + kernel)
    bias = _operand(ctx, [c_out]) if not one_in(ctx, 3) else None
    out = {"input": x, "self": x, "weight": weight, "bias": bias, "stride": stride,
           "padding": mode or padding, "dilation": dilation, "transposed": transposed,
           "output_padding": out_pad, "groups": groups, "kernel_size": kernel, "benchmark": False,
           "deterministic": False, "cudnn_enabled": False, "allow_tf32": False}
    if base in ("convolution_backward", "_slow_conv2d_backward"):
        y = meta_shape(lambda t: torch.ops.aten.convolution(
            t, torch.empty(w_shape + kernel, device="meta"), None, stride, padding, dilation, transposed, out_pad,
            groups), x.size)
        out.update(grad_output=_operand(ctx, y or [1]), bias_sizes=[c_out] if one_in(ctx, 2) else None,
                   output_mask=[True, one_in(ctx, 2), one_in(ctx, 2)])
    if type_of(ctx, "cudnn_enabled") is not None:  # _convolution: cuDNN's path on CUDA half the time
        out.update(cudnn_enabled=one_in(ctx, 2), allow_tf32=one_in(ctx, 2))
    return only_known(ctx, out)


@register("conv_tbc")
def conv_tbc(ctx) -> dict:
    """self (time, batch, C_in), weight (kernel, C_in, C_out), bias (C_out); pad."""
    bad = wrong(ctx)
    c_in, c_out, kernel, pad = upto(ctx, 3, 1), upto(ctx, 3, 1), upto(ctx, 3, 1), upto(ctx, 1)
    time = max(kernel - 2 * pad, 0) + upto(ctx, 2)
    x = main(ctx, shape=(time, upto(ctx, 2), c_in), dtype=_floats(ctx))
    weight = ctx.tensor(shape=(kernel, c_in + bad, c_out), dtype=ctx.dtype, layouts=("contiguous", "offset"))
    return {"self": x, "weight": weight, "bias": _operand(ctx, (c_out,)),
            "pad": pad}


# ---------------------------------------------------------------- pooling


def _pool_input(ctx, k: int, need: list[int], *, bad: bool, unbatched_ok: bool = True,
                no_bfloat16: bool = False):
    """(N, C, *spatial) (or (C, *spatial)) with each spatial size >= need; the first
    spatial size 0 when ``bad``. Backward ops never get an empty input: their CPU
    kernels crash on one (torch 2.13)."""
    bad = bad and not ctx.entry.base_name.endswith("_backward")
    spatial = [max(n, 1) + upto(ctx, 2) for n in need]
    if bad:
        spatial[0] = 0
    batch = [1, 2] if ctx.entry.base_name.endswith("_backward") else [1, 2, 0]
    lead = [upto(ctx, 2, 1)] if unbatched_ok and one_in(ctx, 5) else [pick(ctx, batch), upto(ctx, 2, 1)]
    dtype = _floats(ctx)
    if no_bfloat16 and dtype == torch.bfloat16:
        dtype = torch.float32
    return main(ctx, shape=lead + spatial, dtype=dtype)


@register("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
          "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d",
          "lp_pool3d", "max_pool2d_with_indices_backward", "max_pool3d_with_indices_backward",
          "avg_pool2d_backward", "avg_pool3d_backward")
def pool(ctx) -> dict:
    """kernel 1..3, stride [] (= kernel) or 1..2, padding <= kernel // 2, dilation 1..2."""
    base = ctx.entry.base_name
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    kernel = [upto(ctx, 3, 1) for _ in range(k)]
    stride = [] if one_in(ctx, 3) else [pick(ctx, [1, 2]) for _ in range(k)]
    padding = [upto(ctx, kk // 2) for kk in kernel]
    dilation = [pick(ctx, [1, 2]) if base.startswith("max") else 1 for _ in range(k)]
    if base.startswith("avg"):  # avg pools want the unpadded input to hold a kernel
        need = list(kernel)
    else:
        need = [d * (kk - 1) + 1 - 2 * p for d, kk, p in zip(dilation, kernel, padding)]
    x = _pool_input(ctx, k, need, bad=bad, no_bfloat16=base.startswith("avg_pool3d"))
    out = {"self": x, "kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation,
           "ceil_mode": one_in(ctx, 3), "count_include_pad": not one_in(ctx, 3),
           "divisor_override": pick(ctx, [NO_VALUE, None, 2]), "norm_type": pick(ctx, [2.0, 1.0])}
    if base.endswith("_backward"):
        forward = getattr(torch.ops.aten, base.removesuffix("_backward"))
        stride = stride or kernel
        if base.startswith("max"):
            y = meta_shape(lambda t: forward(t, kernel, stride, padding, dilation, out["ceil_mode"])[0], x.size)
        else:
            y = meta_shape(lambda t: forward(t, kernel, stride, padding, out["ceil_mode"], out["count_include_pad"]),
                           x.size)
        y = y or (1,)
        out["grad_output"] = _operand(ctx, y)
        out["indices"] = index_tensor(ctx, y, numel(x.size[-k:]))
        out["stride"] = stride
        if out["divisor_override"] is NO_VALUE:
            out["divisor_override"] = None
    return only_known(ctx, out)


@register("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d",
          "_adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
          "_adaptive_avg_pool2d_backward", "_adaptive_avg_pool3d_backward", "adaptive_max_pool2d_backward",
          "adaptive_max_pool3d_backward")
def adaptive_pool(ctx) -> dict:
    """output_size 1..3 per spatial dim over a non-empty input."""
    base = ctx.entry.base_name
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    x = _pool_input(ctx, k, [1] * k, bad=bad)
    size = [upto(ctx, 3, 1) for _ in range(k)]
    out = {"self": x, "output_size": size}
    if base.endswith("_backward"):
        y = tuple(x.size[:-k]) + tuple(size)
        if "avg" in base:
            y = meta_shape(lambda t: torch.ops.aten._adaptive_avg_pool2d(t, size) if k == 2 else
                           torch.ops.aten._adaptive_avg_pool3d(t, size), x.size) or y
        out["grad_output"] = _operand(ctx, y)
        out["indices"] = index_tensor(ctx, y, numel(x.size[-k:]))
    return only_known(ctx, out)


@register("fractional_max_pool2d", "fractional_max_pool3d")
def fractional_max_pool(ctx) -> dict:
    """output_size + kernel - 1 < input size (the 3d kernel's strict check); random
    samples (N, C, k) in [0, 1)."""
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    kernel = [upto(ctx, 2, 1) for _ in range(k)]
    size = [upto(ctx, 2, 1) for _ in range(k)]
    x = _pool_input(ctx, k, [o + kk for o, kk in zip(size, kernel)], bad=bad, unbatched_ok=False)
    samples = ctx.tensor(shape=(x.size[0], x.size[1], k), dtype=ctx.dtype, layouts=("contiguous",))
    return {"self": x, "kernel_size": kernel, "output_size": size, "random_samples": samples}


@register("max_unpool2d", "max_unpool3d")
def max_unpool(ctx) -> dict:
    """indices shaped like self with values inside the output plane."""
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    x = _pool_input(ctx, k, [1] * k, bad=False, unbatched_ok=False)
    size = [s * 2 for s in x.size[-k:]]
    high = numel(size) + (1 if bad else 0)
    return {"self": x, "indices": index_tensor(ctx, x.size, high, low=high - 1 if bad else 0), "output_size": size,
            "stride": [2] * k, "padding": [0] * k}


# ---------------------------------------------------------------- normalization


def _channels_input(ctx, *, min_dims: int = 2, training: bool = False, nonempty: bool = False):
    """(N, C, *) with more than one value per channel when ``training``."""
    rank = upto(ctx, 5, min_dims)
    shape = [pick(ctx, [2, 1, 3] if nonempty else [2, 1, 3, 0])] + [upto(ctx, 3, 1)] + [upto(ctx, 3, 1) for _ in range(rank - 2)]
    if training and numel(shape) // shape[1] <= 1:
        shape[0] = 2
    return main(ctx, shape=shape, dtype=_floats(ctx))


def _maybe(ctx, shape, *, optional: bool = True, writable: bool = False):
    if optional and one_in(ctx, 4):
        return None
    layouts = ("contiguous", "sliced", "offset") if writable else ("contiguous", "sliced", "offset", "expanded")
    return ctx.tensor(shape=tuple(shape), dtype=ctx.dtype, layouts=layouts, requires_grad=False if writable else None)


@register("batch_norm", "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_functional",
          "_native_batch_norm_legit_no_training", "_batch_norm_impl_index", "_batch_norm_no_update",
          "_batch_norm_with_update", "instance_norm", "native_batch_norm_backward")
def batch_norm(ctx) -> dict:
    base = ctx.entry.base_name
    bad = wrong(ctx)
    training = base != "_native_batch_norm_legit_no_training" and not one_in(ctx, 3)
    if base == "_batch_norm_with_update" or ctx.entry.overload.startswith("no_stats"):
        training = True  # no_stats with training=False segfaults (torch 2.13)
    x = _channels_input(ctx, training=training or base == "instance_norm",
                        nonempty=base == "native_batch_norm_backward")  # N=0 there: SIGFPE
    c = x.size[1] + (1 if bad else 0)
    # _batch_norm_no_update without running stats segfaults (torch 2.13)
    stats_required = type_of(ctx, "running_mean") == "Tensor" or not training or base == "_batch_norm_no_update"
    out = {"input": x, "weight": _maybe(ctx, (c,)), "bias": _maybe(ctx, (c,)),
           "running_mean": _maybe(ctx, (c,), optional=not stats_required, writable=True),
           "running_var": _maybe(ctx, (c,), optional=not stats_required, writable=True),
           "training": training, "use_input_stats": True, "train": training,
           "momentum": pick(ctx, [0.1, 0.0, 1.0]), "eps": pick(ctx, [1e-5, 0.1]), "cudnn_enabled": False}
    if out["running_mean"] is None or out["running_var"] is None:
        out["running_mean"] = out["running_var"] = None
    if base == "native_batch_norm_backward":
        out.update(grad_out=_operand(ctx, x.size), save_mean=_maybe(ctx, (c,), optional=not training),
                   save_invstd=_maybe(ctx, (c,), optional=not training),
                   output_mask=[True, one_in(ctx, 2), one_in(ctx, 2)])
        if not training and out["running_mean"] is None:
            out["running_mean"] = _operand(ctx, (c,))
            out["running_var"] = _operand(ctx, (c,))
    return only_known(ctx, out)


@register("layer_norm", "native_layer_norm", "rms_norm", "native_layer_norm_backward")
def layer_norm(ctx) -> dict:
    """normalized_shape: the input's trailing dims; weight/bias of that shape."""
    bad = wrong(ctx)
    x = main(ctx, shape=tuple(upto(ctx, 3) for _ in range(upto(ctx, 4, 1))), dtype=_floats(ctx))
    r = len(x.size)
    lead = upto(ctx, r - 1)
    normalized = list(x.size[lead:]) if not bad else [s + 1 for s in x.size[lead:]]
    out = {"input": x, "normalized_shape": normalized, "weight": _maybe(ctx, normalized),
           "bias": _maybe(ctx, normalized), "eps": pick(ctx, [1e-5, None]) if type_of(ctx, "eps") != "float"
           else 1e-5, "cudnn_enable": False}
    if ctx.entry.base_name == "native_layer_norm_backward":
        stats = tuple(x.size[:lead]) + (1,) * (r - lead)
        out.update(grad_out=_operand(ctx, x.size), mean=_operand(ctx, stats), rstd=_operand(ctx, stats),
                   output_mask=[True, one_in(ctx, 2), one_in(ctx, 2)])
    return only_known(ctx, out)


@register("group_norm", "native_group_norm", "native_group_norm_backward")
def group_norm(ctx) -> dict:
    """C divisible by the group count; native_group_norm's N, C, HxW match the input."""
    bad = wrong(ctx)
    groups, per = upto(ctx, 2, 1), upto(ctx, 2, 1)
    c = groups * per
    n, rest = pick(ctx, [2, 1, 0]), [upto(ctx, 3, 1) for _ in range(upto(ctx, 2))]
    x = main(ctx, shape=[n, c] + rest, dtype=_floats(ctx))
    hxw = numel(rest)
    out = {"input": x, "num_groups": groups + (1 if bad else 0), "group": groups + (1 if bad else 0),
           "weight": _maybe(ctx, (c,)), "bias": _maybe(ctx, (c,)), "N": n, "C": c, "HxW": hxw,
           "eps": pick(ctx, [1e-5, 0.1]), "cudnn_enabled": False}
    if ctx.entry.base_name == "native_group_norm_backward":
        out.update(grad_out=_operand(ctx, x.size), mean=_operand(ctx, (n, groups)), rstd=_operand(ctx, (n, groups)),
                   output_mask=[True, one_in(ctx, 2), one_in(ctx, 2)])
    return only_known(ctx, out)


# ---------------------------------------------------------------- resampling and losses

_UPSAMPLE = ("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
             "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "upsample_linear1d", "upsample_bilinear2d",
             "upsample_trilinear3d", "upsample_bicubic2d", "_upsample_bilinear2d_aa", "_upsample_bicubic2d_aa",
             "_upsample_lanczos2d_aa")


@register(*_UPSAMPLE, *(f"{n}_backward" for n in _UPSAMPLE))
def upsample(ctx) -> dict:
    """(N, C, *spatial) input with the name's spatial rank, an output size of that many
    sizes (or scale factors, .vec overloads); a batch of 0 sometimes. Backward: the
    gradient of the output size, and the input size."""
    k = _spatial_rank(ctx)
    bad = wrong(ctx)
    batch = pick(ctx, [1, 2, 0])
    channels = upto(ctx, 3, 1)
    spatial = [upto(ctx, 4, 1) for _ in range(k)]
    size = [upto(ctx, 5, 1) for _ in range(k)]
    if bad:
        size = size[:-1] if one_in(ctx, 2) else size + [2]
    dtype = _floats(ctx)
    out: dict = {"output_size": size, "input_size": [batch, channels, *spatial]}
    if ctx.entry.base_name.endswith("_backward"):
        main(ctx, shape=(batch, channels, *size), dtype=dtype)
        out["grad_output"] = ctx.main
    else:
        name = "input" if type_of(ctx, "input") is not None else "self"
        out[name] = main(ctx, shape=(batch, channels, *spatial), dtype=dtype)
    if type_of(ctx, "scale_factors") is not None:  # .vec: a size or scale factors, not both
        if one_in(ctx, 2):
            out["output_size"], out["scale_factors"] = None, [pick(ctx, [0.5, 1.0, 2.0, 1.5]) for _ in range(k)]
        else:
            out["scale_factors"] = None
    for name in ("scales", "scales_d", "scales_h", "scales_w"):
        if type_of(ctx, name) is not None:
            out[name] = None if not one_in(ctx, 3) else pick(ctx, [0.5, 2.0])
    return only_known(ctx, out)


@register("binary_cross_entropy", "binary_cross_entropy_backward", "binary_cross_entropy_with_logits")
def binary_cross_entropy(ctx) -> dict:
    """Input and target of one shape with values in [0, 1] (probabilities), a weight that
    broadcasts, a reduction of none, mean or sum; a backward's gradient of the output."""
    shape = ctx.draw(shapes(max_dims=4, max_numel=32))
    dtype = _floats(ctx)
    reduction = upto(ctx, 2)
    x = main(ctx, shape=shape, dtype=dtype, fill="unit")
    out = {"self": x, "target": ctx.tensor(shape=shape, dtype=dtype, fill="unit"), "reduction": reduction}
    if type_of(ctx, "grad_output") is not None:
        out["grad_output"] = ctx.tensor(shape=shape if reduction == 0 else (), dtype=dtype)
    if not one_in(ctx, 2):
        out["weight"] = None
    for name in ("weight", "pos_weight"):
        if type_of(ctx, name) is not None and name not in out:
            out[name] = ctx.tensor(shape=shape[-1:] if shape else (), dtype=dtype)
    return only_known(ctx, out)


# ---------------------------------------------------------------- attention

_SDPA = ("scaled_dot_product_attention", "_scaled_dot_product_attention_math", "_scaled_dot_product_flash_attention",
         "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_efficient_attention",
         "_scaled_dot_product_cudnn_attention", "_scaled_dot_product_fused_attention_overrideable")


@register(*_SDPA)
def scaled_dot_product_attention(ctx) -> dict:
    """query (B, Hq, L, E), key (B, Hkv, S, E), value (B, Hkv, S, Ev): batch 1 or 2 (or
    none: 3-d), heads with Hq a multiple of Hkv (grouped-query attention when they
    differ, ``enable_gqa``), head dims that the fused kernels take (a multiple of 8, up
    to 64) and sometimes one they do not; float16 and bfloat16 (what the CUDA fused
    kernels need) or float32; a boolean or additive mask (bias) that broadcasts to
    (B, Hq, L, S) a third of the time; causal a third of the time; dropout 0 mostly; a
    scale sometimes. Query, key and value are laid out as (B, L, H, E) transposed half
    the time: what a model's projections give."""
    bad = wrong(ctx)
    gqa = type_of(ctx, "enable_gqa") is not None and one_in(ctx, 3)
    kv_heads = upto(ctx, 2, 1)
    heads = kv_heads * (pick(ctx, [2, 4]) if gqa else 1)
    batch = [] if one_in(ctx, 6) else [pick(ctx, [1, 2])]
    length, source = upto(ctx, 6, 1), upto(ctx, 6, 1)
    e = pick(ctx, [8, 16, 64, 8, 4, 3])
    ev = e if not one_in(ctx, 4) else pick(ctx, [8, 16])
    if bad:
        ev, source = ev, source + 1  # key and value of other lengths
    dtype = pick(ctx, [torch.float16, torch.bfloat16, torch.float32, torch.float16])
    transposed = one_in(ctx, 2) and batch

    def qkv(h, n, d, first=False):
        shape = (*batch, n, h, d) if transposed else (*batch, h, n, d)
        layouts = ("contiguous",) if transposed else ("contiguous", "permuted", "sliced")
        draw = functools.partial(main, ctx) if first else ctx.tensor
        t = draw(shape=shape, dtype=dtype, layouts=layouts)
        if transposed:  # (B, L, H, E) in memory, seen as (B, H, L, E)
            size, stride = list(t.size), list(t.stride)
            size[1], size[2], stride[1], stride[2] = size[2], size[1], stride[2], stride[1]
            t = dataclasses.replace(t, size=tuple(size), stride=tuple(stride), layout=("permuted",))
            if first:
                ctx.main = t
        return t

    q = qkv(heads, length, e, first=True)
    k = qkv(kv_heads, source if not bad else source - 1, e)
    v = qkv(kv_heads, source, ev)
    causal = one_in(ctx, 3)
    mask = None
    if one_in(ctx, 3) and not (causal and ctx.entry.base_name == "scaled_dot_product_attention"):
        mask_shape = pick(ctx, [(*batch, heads, length, source), (length, source), (*batch, 1, 1, source)])
        mask = ctx.tensor(shape=mask_shape, dtype=pick(ctx, [torch.bool, dtype]))
    out = {"query": q, "key": k, "value": v, "attn_mask": mask, "attn_bias": mask,
           "dropout_p": pick(ctx, [0.0, 0.0, 0.0, 0.5]), "is_causal": causal,
           "scale": None if not one_in(ctx, 3) else pick(ctx, [0.5, 1.0]), "enable_gqa": gqa,
           "compute_log_sumexp": one_in(ctx, 2), "return_debug_mask": False, "dropout_mask": None}
    return only_known(ctx, out)
