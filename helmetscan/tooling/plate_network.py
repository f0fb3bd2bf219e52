"""The network of our plate reader (a CRNN, Shi et al. 2015) in PyTorch, and its export to the ONNX file the runtime
reads (:mod:`helmetscan.plates.recognizer`).

Training (:mod:`helmetscan.tooling.plate_train`) builds it here, and so does the rebuilding of a shipped reader's
weights from its ONNX file (:mod:`helmetscan.tooling.plate_reader_weights`), so neither imports the other's module.
"""

from __future__ import annotations

import json
from pathlib import Path

from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH, PAD
from helmetscan.tooling.plate_render import ALPHABET

#: Output channels of the five conv blocks.
CONV_CHANNELS = (16, 32, 64, 96, 128)


def conv_blocks(pools: tuple):
    """The reader's conv stack (torch ``nn.Sequential``): five blocks of 3×3 conv (no bias), batch norm and ReLU with
    :data:`CONV_CHANNELS` outputs, each followed by a max-pool of ``pools[i]`` (kernel = stride; ``None``: no pool).
    The layer indices do not depend on ``pools``, so the conv weights of one reader start another (``--init``)."""
    from torch import nn

    layers: list[nn.Module] = []
    for cin, cout, pool in zip((1, *CONV_CHANNELS), CONV_CHANNELS, pools):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        if pool is not None:
            layers.append(nn.MaxPool2d(pool))
    return nn.Sequential(*layers)


def train_with_frozen_batch_norm(model) -> None:
    """Put ``model`` (torch ``nn.Module``) in train mode but its batch norms in eval mode: fine-tuning a reader that
    already reads keeps the statistics of the data it learnt from, not those of a few new plates (a second pass in
    train mode made every set worse, ``weights/PLATE_READER.md``)."""
    from torch import nn

    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def build_ctc_model(classes: int, bands: int = 2, bidirectional: bool = True, rows: bool = False):
    """The CRNN plate reader (torch ``nn.Module``, 0.50 M parameters, 0.77 M with ``rows``; 40 M multiply-adds per
    crop at width 128, 60 M at 192): input (N, 1, 64, W) float 0..1, output (N, bands · W / 8, classes; with ``rows``
    2 · W / 8 + 1 steps) probabilities (softmax applied, so the exported ONNX returns probabilities; class 0 is the
    CTC blank). The sequence is the feature columns of the top horizontal band of the crop, left to right, then those
    of the next band down.

    ``bands`` 2 (the shipped reader): the top and bottom half. On a two-row plate the top half also holds the upper
    part of the bottom row, so in that half the reader must emit the top row's right end before the bottom row's left
    end, against the column order; every 2-band reader with one sequence read the older region layout (``울산 93 / 바
    8364``) in 1 % of the tuning plates, and 300 steps of fine-tuning on half such plates did not move it
    (``weights/PLATE_READER.md``). ``bands`` 4: quarters, so a two-row plate's top row has a band to itself; the last
    pool is dropped, every weight keeps its shape and a 2-band reader starts a 4-band one (``--init``).

    ``bidirectional`` False: a forward-only LSTM, which cannot emit a character before its columns are read; a
    bidirectional reader's forward direction and the forward half of its head start it (:func:`forward_only_state`).

    ``rows`` True (2 bands only; the shipped reader): **one CTC sequence per band**. The top band is read by its own
    LSTM (``rnn_top``) into the plate's top row (nothing on a one-row plate), the bottom band by ``rnn`` into the
    bottom row (the whole text of a one-row plate), each trained with its own CTC loss (``row_logits``), so no
    alignment across the rows has to be learnt. The output keeps the shape the runtime decodes, the top band's steps,
    one step that is certainly blank, then the bottom band's (``2 · W / 8 + 1`` steps), so the joined text decodes as
    before and a character ending the top row is not merged with the same one starting the bottom row.

    The last two pooling steps halve only the height. From random weights the CTC loss stalled at ~3.2 per character
    for 4 epochs on a 2-core CPU, so each run starts from an earlier reader's weights (``--init``; the chain of runs
    is in ``weights/PLATE_READER.md``).

    Raises:
        ValueError: ``bands`` is not 2 or 4, or ``rows`` with 4 bands.
    """
    import torch
    from torch import nn

    if bands not in (2, 4):
        raise ValueError(f"bands must be 2 or 4, not {bands}")
    if rows and bands != 2:
        raise ValueError("rows needs 2 bands (one per plate row)")
    last_pool = (2, 1) if bands == 2 else None

    class PlateCRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = conv_blocks((2, 2, 2, (2, 1), last_pool))  # bands × W / 8
            self.dropout = nn.Dropout(0.1)
            self.rnn = nn.LSTM(128, 128, batch_first=True, bidirectional=bidirectional)
            if rows:
                self.rnn_top = nn.LSTM(128, 128, batch_first=True, bidirectional=bidirectional)
            self.head = nn.Linear(256 if bidirectional else 128, classes)
            self.rows = rows

        def row_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """``rows`` only: the top band's and the bottom band's logits, each (N, W / 8, classes)."""
            f = self.dropout(self.features(x).permute(0, 2, 3, 1))  # (N, 2, W / 8, C)
            top, _ = self.rnn_top(f[:, 0])
            bottom, _ = self.rnn(f[:, 1])
            return self.head(top), self.head(bottom)

        def logits(self, x: torch.Tensor) -> torch.Tensor:
            if self.rows:
                top, bottom = self.row_logits(x)
                blank = torch.zeros_like(top[:, :1])
                blank[..., 0] = 100.0                              # softmax: blank with probability 1
                return torch.cat([top, blank, bottom], dim=1)      # (N, 2 · W / 8 + 1, classes)
            f = self.features(x)                                   # (N, C, bands, W / 8)
            seq = f.permute(0, 2, 3, 1).flatten(1, 2)              # (N, bands · W / 8, C): top band first
            out, _ = self.rnn(self.dropout(seq))
            return self.head(out)                                  # (N, bands · W / 8, classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.logits(x), dim=-1)

    return PlateCRNN()


def forward_only_state(state: dict) -> dict:
    """A bidirectional CRNN's state dict (:func:`build_ctc_model`) cut to a forward-only one: the backward LSTM
    direction dropped and the head's weights on its outputs (the second half of the 256 inputs) with it."""
    out = {k: v for k, v in state.items() if not k.endswith("_reverse")}
    out["head.weight"] = state["head.weight"][:, :128].clone()
    return out


def export_onnx(model, path: Path, info: dict, size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> None:
    """Write ``model`` as ONNX (opset 17, dynamic batch, input (N, 1, *size) float 0..1, output ``probabilities``)
    with ``alphabet``, ``pad`` and ``info`` (values not strings as JSON) in its metadata; the runtime refuses a file
    whose ``decoder`` is not ``ctc``."""
    import onnx
    import torch

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, *size), str(path), input_names=["image"],
                      output_names=["probabilities"], dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},
                      opset_version=17, dynamo=False)
    proto = onnx.load(str(path))
    meta = {"alphabet": ALPHABET, "pad": PAD, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in info.items()}}
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
