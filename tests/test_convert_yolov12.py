"""The YOLOv12-fork converter must give a stock AAttn that computes exactly what the fork's AAttn computed."""

import copy

import pytest

torch = pytest.importorskip("torch")

from ultralytics.nn.modules.block import AAttn  # noqa: E402
from ultralytics.nn.modules.conv import Conv  # noqa: E402

from helmetscan.weights.convert_yolov12 import convert_aattn  # noqa: E402
from conftest import WEIGHTS, needs_weights  # noqa: E402


def _randomise(conv: Conv, gen: torch.Generator) -> Conv:
    conv.conv.weight.data = torch.randn(conv.conv.weight.shape, generator=gen) * 0.1
    for name in ("weight", "bias", "running_mean"):
        getattr(conv.bn, name).data = torch.randn(conv.bn.weight.shape, generator=gen) * 0.1 + (1 if name == "weight" else 0)
    conv.bn.running_var.data = torch.rand(conv.bn.weight.shape, generator=gen) + 0.5
    return conv


def fork_style(dim: int, heads: int, area: int, gen: torch.Generator) -> AAttn:
    """An AAttn laid out as the YOLOv12 fork saves it: qk (all q, then all k), v, and a 5x5 depthwise pe."""
    module = AAttn(dim, heads, area)
    del module._modules["qkv"]
    module.qk = _randomise(Conv(dim, dim * 2, 1, act=False), gen)
    module.v = _randomise(Conv(dim, dim, 1, act=False), gen)
    module.proj = _randomise(Conv(dim, dim, 1, act=False), gen)
    module.pe = _randomise(Conv(dim, dim, 5, 1, 2, g=dim, act=False), gen)
    return module.eval()


def fork_forward(m: AAttn, x: torch.Tensor) -> torch.Tensor:
    """The fork's area attention, written from its published description (queries and keys from ``qk``; positional
    conv on the value map)."""
    B, C, H, W = x.shape
    N = H * W
    qk = m.qk(x).flatten(2).transpose(1, 2)
    v = m.v(x)
    pp = m.pe(v)
    v = v.flatten(2).transpose(1, 2)
    if m.area > 1:
        qk = qk.reshape(B * m.area, N // m.area, C * 2)
        v = v.reshape(B * m.area, N // m.area, C)
        B, N, _ = qk.shape
    q, k = qk.split([C, C], dim=2)
    q = q.view(B, N, m.num_heads, m.head_dim).permute(0, 2, 3, 1)
    k = k.view(B, N, m.num_heads, m.head_dim).permute(0, 2, 3, 1)
    v = v.view(B, N, m.num_heads, m.head_dim).permute(0, 2, 3, 1)
    attn = ((q.transpose(-2, -1) @ k) * (m.head_dim**-0.5)).softmax(dim=-1)
    out = (v @ attn.transpose(-2, -1)).permute(0, 3, 1, 2)
    if m.area > 1:
        out = out.reshape(B // m.area, N * m.area, C)
        B, N, _ = out.shape
    out = out.reshape(B, H, W, C).permute(0, 3, 1, 2)
    return m.proj(out + pp)


@pytest.mark.parametrize(("dim", "heads", "area"), [(64, 2, 1), (128, 4, 4), (96, 3, 1)])
def test_converted_aattn_matches_the_fork(dim, heads, area):
    gen = torch.Generator().manual_seed(dim + heads)
    fork = fork_style(dim, heads, area, gen)
    x = torch.randn(2, dim, 8, 8, generator=gen)
    with torch.no_grad():
        expected = fork_forward(fork, x)
        converted = copy.deepcopy(fork)
        convert_aattn(converted)
        got = converted.eval()(x)
    assert "qk" not in converted._modules and converted.qkv.conv.weight.shape == (3 * dim, dim, 1, 1)
    assert converted.pe.conv.weight.shape == (dim, 1, 7, 7)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()


def test_a_module_without_either_layout_is_rejected():
    broken = AAttn(32, 2, 1)
    del broken._modules["qkv"]
    with pytest.raises(ValueError, match="neither qk/v nor qkv"):
        convert_aattn(broken)


@needs_weights
def test_converted_checkpoint_loads_in_stock_ultralytics_and_finds_heads():
    import numpy as np
    from ultralytics import YOLO

    model = YOLO(str(WEIGHTS / "yolov12m-helmet.pt"), task="detect")
    assert model.names == {0: "With Helmet", 1: "Without Helmet"}
    result = model.predict(np.zeros((320, 320, 3), np.uint8), imgsz=320, verbose=False)[0]
    assert len(result.boxes) == 0  # runs (no 'qkv' AttributeError) and sees no head on a black image
