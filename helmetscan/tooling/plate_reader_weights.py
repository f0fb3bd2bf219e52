"""The shipped plate reader's ONNX file back as PyTorch weights, so training can continue from the reader we ship.

Only ``weights/plate_reader.onnx`` is kept in the repository, not the training checkpoint it was exported from, and
``torch.onnx.export`` folds each batch norm into the conv before it. :func:`crnn_state_dict` rebuilds a state dict
for :func:`helmetscan.tooling.plate_network.build_ctc_model`:

* conv blocks: the folded conv weight is kept; its batch norm is set so that it adds the folded bias in eval mode
  and stays close to that in train mode: running mean and variance are the per-channel statistics of the conv's output
  on ``images``, and the scale and shift undo them (so the first training batches see the shipped function, not a
  re-normalised one);
* LSTM (two for a reader with one sequence per row, ``train-plates --rows``: ``rnn_top`` and ``rnn``, told apart by
  the node names the exporter gives them): ONNX ``W``, ``R``, ``B`` per direction, gates reordered from ONNX's i, o,
  f, c to torch's i, f, g, o (ONNX operator specification, LSTM; ``torch.nn.LSTM`` documentation);
* head: the ``MatMul`` weight transposed and its ``Add`` bias.

    helmetscan train-plates --init weights/plate_reader.onnx ...   # plate_train calls this
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: ONNX LSTM gate blocks (i, o, f, c) in torch's order (i, f, g = c, o).
ONNX_TO_TORCH_GATES = (0, 2, 3, 1)


def _initialisers(path: Path) -> tuple[list[np.ndarray], dict[str, dict[str, np.ndarray]], np.ndarray, np.ndarray]:
    """Conv weights and biases in graph order, each LSTM's ``W``/``R``/``B`` by the module it was exported from
    (``rnn``, and ``rnn_top`` for a reader with one sequence per row, ``train-plates --rows``; the exporter names the
    node ``/rnn_top/LSTM``), the head's weight and bias."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:  # a weight used twice (the head of a rows reader) reaches one use through Identity
        if node.op_type == "Identity" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    convs, lstms, head_w, head_b = [], {}, None, None
    not_ours = ValueError(f"{path}: not a CRNN plate reader exported by plate_network.export_onnx (5 convs, one or "
                          "two LSTMs, a head)")
    for node in model.graph.node:
        if node.op_type == "Conv":
            if len(node.input) < 3 or not all(i in values for i in node.input[1:3]):
                raise not_ours  # our convs carry their folded batch norm as a bias
            convs.append(values[node.input[1]])
            convs.append(values[node.input[2]])
        elif node.op_type == "LSTM":
            module = "rnn_top" if "/rnn_top/" in node.name else "rnn"
            lstms[module] = {"W": values[node.input[1]], "R": values[node.input[2]], "B": values[node.input[3]]}
        elif node.op_type == "MatMul" and node.input[1] in values:
            head_w = values[node.input[1]]
        elif node.op_type == "Add" and head_w is not None and head_b is None:
            head_b = values[next(i for i in node.input if i in values)]
    if "rnn" not in lstms or head_w is None or head_b is None or len(convs) != 10:
        raise not_ours
    return convs, lstms, head_w, head_b


def _gates(a: np.ndarray) -> np.ndarray:
    """Reorder the 4 gate blocks along axis 0 from ONNX to torch."""
    blocks = np.split(a, 4, axis=0)
    return np.concatenate([blocks[k] for k in ONNX_TO_TORCH_GATES], axis=0)


def reader_metadata(path: Path) -> dict[str, str]:
    """The metadata ``plate_network.export_onnx`` wrote into ``path``."""
    import onnx

    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}


def reader_bands(path: Path) -> int:
    """The horizontal bands the CRNN in ``path`` reads (its ``bands`` metadata; 2 for readers exported before it was
    written)."""
    return int(reader_metadata(path).get("bands", 2))


def reader_rows(path: Path) -> bool:
    """Whether the CRNN in ``path`` reads one sequence per plate row (``train-plates --rows``; its ``rows`` metadata,
    absent from readers exported before it was written)."""
    return reader_metadata(path).get("rows", "false") == "true"


def crnn_state_dict(path: Path, images: np.ndarray) -> dict:
    """A ``build_ctc_model`` state dict (torch tensors) equal to the CRNN exported in ``path`` (eval mode).

    Args:
        path: a CRNN plate reader ``.onnx`` written by ``plate_network.export_onnx``.
        images: (N, H, W) uint8 model inputs (``helmetscan.plates.recognizer.to_model_input``; any width), for the
            batch norms' statistics; a few hundred are enough.

    Raises:
        ValueError: ``path`` is not such a CRNN.
    """
    import torch

    from helmetscan.tooling.plate_render import ALPHABET
    from helmetscan.tooling.plate_network import build_ctc_model

    convs, lstms, head_w, head_b = _initialisers(path)
    directions = lstms["rnn"]["W"].shape[0]  # ONNX LSTM weights: (directions, 4 · hidden, input)
    model = build_ctc_model(len(ALPHABET) + 1, reader_bands(path), bidirectional=directions == 2,
                            rows="rnn_top" in lstms)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    conv_ids = [i for i, m in enumerate(model.features) if isinstance(m, torch.nn.Conv2d)]
    eps = model.features[conv_ids[0] + 1].eps
    for n, i in enumerate(conv_ids):  # first pass: batch norm = identity plus the folded bias
        state[f"features.{i}.weight"] = torch.from_numpy(convs[2 * n].copy())
        bias = torch.from_numpy(convs[2 * n + 1].copy())
        state[f"features.{i + 1}.weight"] = torch.ones_like(bias)
        state[f"features.{i + 1}.bias"] = bias
        state[f"features.{i + 1}.running_mean"] = torch.zeros_like(bias)
        state[f"features.{i + 1}.running_var"] = torch.full_like(bias, 1.0 - eps)
    for name, lstm in lstms.items():
        for direction, suffix in enumerate(("", "_reverse")[:directions]):
            w_b, r_b = np.split(lstm["B"][direction], 2)
            state[f"{name}.weight_ih_l0{suffix}"] = torch.from_numpy(_gates(lstm["W"][direction]).copy())
            state[f"{name}.weight_hh_l0{suffix}"] = torch.from_numpy(_gates(lstm["R"][direction]).copy())
            state[f"{name}.bias_ih_l0{suffix}"] = torch.from_numpy(_gates(w_b).copy())
            state[f"{name}.bias_hh_l0{suffix}"] = torch.from_numpy(_gates(r_b).copy())
    state["head.weight"] = torch.from_numpy(head_w.T.copy())
    state["head.bias"] = torch.from_numpy(head_b.copy())
    model.load_state_dict(state)
    model.eval()
    outputs: dict[int, torch.Tensor] = {}
    hooks = [model.features[i].register_forward_hook(lambda _m, _x, y, i=i: outputs.__setitem__(i, y))
             for i in conv_ids]
    with torch.no_grad():
        model(torch.from_numpy(images).float().unsqueeze(1) / 255.0)
    for h in hooks:
        h.remove()
    for i in conv_ids:  # second pass: the same function, with the statistics of each conv's output
        y = outputs[i]
        mean, var = y.mean(dim=(0, 2, 3)), y.var(dim=(0, 2, 3), unbiased=False)
        state[f"features.{i + 1}.running_mean"] = mean
        state[f"features.{i + 1}.running_var"] = var
        state[f"features.{i + 1}.weight"] = torch.sqrt(var + eps)
        state[f"features.{i + 1}.bias"] = mean + state[f"features.{i + 1}.bias"]
    return state
