"""Convert a checkpoint saved by the original YOLOv12 fork so that stock ultralytics loads it.

The fork's area-attention (``AAttn``) keeps ``qk`` (a 1x1 Conv giving all queries, then all keys) and ``v`` (values)
apart, with a 5x5 depthwise positional conv ``pe``. Stock ultralytics expects one ``qkv`` Conv whose output is laid out
per head as ``[q_h, k_h, v_h]`` blocks and a 7x7 ``pe`` (current ultralytics fails at predict on the fork's
checkpoint of the ``helmet-detector==2.1.0`` wheel with ``'AAttn' object has no attribute 'qkv'``); see ultralytics
``nn/modules/block.py::AAttn.forward``. The conversion is exact: channels are only re-ordered and the 5x5
kernel is zero-padded to 7x7 around its centre (the padding grows from 2 to 3, so outputs are unchanged).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


def _conv_parts(conv_block: nn.Module) -> dict[str, torch.Tensor]:
    """Per-output-channel tensors of an ultralytics ``Conv`` (conv weight and its BatchNorm)."""
    bn = conv_block.bn
    return {
        "weight": conv_block.conv.weight.data,
        "bn.weight": bn.weight.data,
        "bn.bias": bn.bias.data,
        "bn.running_mean": bn.running_mean,
        "bn.running_var": bn.running_var,
    }


def _interleave_qkv(qk: dict[str, torch.Tensor], v: dict[str, torch.Tensor], heads: int, head_dim: int):
    """Re-order fork ``[q(all heads), k(all heads)]`` + ``v`` into stock ``[q_h, k_h, v_h] for h in heads``."""
    channels = heads * head_dim
    out = {}
    for key in qk:
        q_all, k_all, v_all = qk[key][:channels], qk[key][channels:], v[key]
        blocks = []
        for h in range(heads):
            s = slice(h * head_dim, (h + 1) * head_dim)
            blocks += [q_all[s], k_all[s], v_all[s]]
        out[key] = torch.cat(blocks, 0)
    return out


def convert_aattn(module: nn.Module) -> None:
    """Rewrite one fork ``AAttn`` module in place into the stock layout (``qkv``, 7x7 ``pe``).

    Raises:
        ValueError: the module has neither the fork layout (``qk``, ``v``) nor the stock one.
    """
    from ultralytics.nn.modules.conv import Conv

    if hasattr(module, "qkv") and "qk" not in module._modules:
        return  # already stock
    if "qk" not in module._modules or "v" not in module._modules:
        raise ValueError(f"AAttn module has neither qk/v nor qkv sub-modules: {list(module._modules)}")
    qk, v, pe = module.qk, module.v, module.pe
    dim = qk.conv.in_channels
    heads, head_dim = module.num_heads, module.head_dim
    all_head_dim = heads * head_dim

    qkv = Conv(dim, all_head_dim * 3, 1, act=False)
    parts = _interleave_qkv(_conv_parts(qk), _conv_parts(v), heads, head_dim)
    qkv.conv.weight.data.copy_(parts["weight"])
    qkv.bn.weight.data.copy_(parts["bn.weight"])
    qkv.bn.bias.data.copy_(parts["bn.bias"])
    qkv.bn.running_mean.copy_(parts["bn.running_mean"])
    qkv.bn.running_var.copy_(parts["bn.running_var"])
    qkv.bn.eps, qkv.bn.momentum = qk.bn.eps, qk.bn.momentum

    k_old = pe.conv.kernel_size[0]
    new_pe = Conv(all_head_dim, pe.conv.out_channels, 7, 1, 3, g=all_head_dim, act=False)
    weight = torch.zeros_like(new_pe.conv.weight.data)
    off = (7 - k_old) // 2
    weight[:, :, off : off + k_old, off : off + k_old] = pe.conv.weight.data
    new_pe.conv.weight.data.copy_(weight)
    new_pe.bn.load_state_dict(pe.bn.state_dict())
    new_pe.bn.eps, new_pe.bn.momentum = pe.bn.eps, pe.bn.momentum

    del module._modules["qk"], module._modules["v"]
    module.qkv = qkv
    module.pe = new_pe
    module.all_head_dim = all_head_dim
    module.to(qk.conv.weight.dtype)


def convert_checkpoint(src: Path, dst: Path) -> int:
    """Load a fork checkpoint from ``src``, convert every ``AAttn``, save a stock-loadable checkpoint to ``dst``.

    Only the model (EMA weights if present) and its metadata are kept; optimizer state is dropped.

    Returns:
        Number of converted ``AAttn`` modules.

    Raises:
        ValueError: ``src`` holds no model, or no ``AAttn`` module to convert.
    """
    ckpt = torch.load(src, map_location="cpu", weights_only=False)
    model = ckpt.get("ema") or ckpt.get("model")
    if model is None:
        raise ValueError(f"{src}: checkpoint holds no model")
    count = 0
    for module in model.modules():
        if type(module).__name__ == "AAttn":
            convert_aattn(module)
            count += 1
    if count == 0:
        raise ValueError(f"{src}: no AAttn module found; not a YOLOv12 checkpoint")
    model.float().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    out = {k: ckpt[k] for k in ("date", "version", "license", "docs", "train_args", "train_metrics") if k in ckpt}
    out.update(
        model=model.half(),
        ema=None,
        epoch=-1,
        optimizer=None,
        converted_by="helmetscan.convert_yolov12 (fork AAttn qk/v/pe5 -> stock qkv/pe7)",
    )
    out["date"] = "converted"  # keep the file byte-for-byte reproducible
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(out, dst)
    return count
