"""Learning from reviewed plates with a line reader (``helmetscan learn-plates`` when ``plates.reader_model`` is one
that ``helmetscan train-line-reader`` wrote, :mod:`helmetscan.tooling.line_reader`): the reader rebuilt in PyTorch from
its ONNX file by ``onnx2torch``, fine-tuned, and its learnt values written back into its own graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def is_line_reader(path: Path) -> bool:
    """Whether the reader in ``path`` is a line reader (outputs ``line`` and ``rows``,
    :func:`helmetscan.tooling.line_reader.export`)."""
    import onnx

    return [o.name for o in onnx.load(str(path), load_external_data=False).graph.output] == ["line", "rows"]


def learn(base: Path, images: np.ndarray, texts: list[str], tops: list[str], out: Path, epochs: int, lr: float,
          rng: np.random.Generator, metadata: dict[str, str], log: Callable[[str], None],
          draw: Callable[[], tuple[np.ndarray, list[str], list[str]]] | None = None) -> Path:
    """Fine-tune the line reader in ``base`` (rebuilt in PyTorch from its ONNX file by ``onnx2torch``) on ``images``
    ((N, 64, 256) uint8 model inputs), ``texts`` and their ``tops`` (top rows, "" for one-row plates) for
    ``epochs`` passes (batches of 11 plates, each jittered as ``train-plates`` jitters; Adam at ``lr``; batch-norm
    statistics frozen), a one-row plate from its ``line`` reading, a two-row plate from its ``rows``; ``draw``:
    rendered plates added anew each pass (images, texts, tops). Writes ``out``: ``base``'s graph with the learnt
    values and ``metadata`` (``learn-plates``).

    Raises:
        ValueError: a parameter of the converted module matches no initializer of ``base``.
    """
    import onnx
    import torch
    from onnx import numpy_helper
    from onnx2torch import convert

    from helmetscan.tooling.plate_network import train_with_frozen_batch_norm
    from helmetscan.tooling.plate_train import ctc_batch_loss
    from helmetscan.tooling.plate_train_data import augment

    proto = onnx.load(str(base))
    model = convert(proto)
    owners = _initializer_of_each_parameter(proto, model)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    for epoch in range(epochs):
        x_all, t_all, top_all = images, list(texts), list(tops)
        if draw is not None:
            extra = draw()
            x_all, t_all, top_all = np.concatenate([images, extra[0]]), t_all + extra[1], top_all + extra[2]
        train_with_frozen_batch_norm(model)
        order = rng.permutation(len(t_all))
        total = 0.0
        for i in range(0, len(order), 11):
            idx = order[i:i + 11]
            x = augment(torch.from_numpy(x_all[idx]).float().unsqueeze(1) / 255.0, rng)
            line, rows = model(x)
            two = torch.tensor([bool(top_all[k]) for k in idx])
            loss = sum(ctc_batch_loss(ctc, probs[mask].clamp_min(1e-8).log(),
                                      [t_all[k] for k, m in zip(idx, mask) if m])
                       for probs, mask in ((line, ~two), (rows, two)) if bool(mask.any()))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            total += float(loss) * len(idx)
        log(f"epoch {epoch + 1}/{epochs}: loss {total / len(order):.3f}")
    # the learnt values go back into the base file's graph: re-exporting the converted module would fix the batch
    # size (onnx2torch computes reshapes from traced shapes)
    learnt = {owners[name]: p.detach().numpy() for name, p in model.named_parameters()}
    for k, initializer in enumerate(proto.graph.initializer):
        if initializer.name in learnt:
            proto.graph.initializer[k].CopyFrom(numpy_helper.from_array(learnt[initializer.name], initializer.name))
    onnx.helper.set_model_props(proto, metadata)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    return out


def _initializer_of_each_parameter(proto, module) -> dict[str, str]:
    """For each parameter of ``module`` (``onnx2torch``'s conversion of ``proto``), the name of the initializer of
    ``proto`` it was made from, found by equal shape and bytes (each initializer taken once, in order).

    Raises:
        ValueError: a parameter equals no initializer left.
    """
    from collections import defaultdict

    from onnx import numpy_helper

    left = defaultdict(list)
    for initializer in proto.graph.initializer:
        value = numpy_helper.to_array(initializer)
        left[(value.shape, value.tobytes())].append(initializer.name)
    owners = {}
    for name, parameter in module.named_parameters():
        value = parameter.detach().numpy()
        names = left.get((value.shape, value.tobytes()))
        if not names:
            raise ValueError(f"parameter {name} {tuple(value.shape)} equals no initializer of the reader's graph")
        owners[name] = names.pop(0)
    return owners
