"""The reader made from a recogniser pretrained on real text lines (``helmetscan.tooling.line_reader``): SAME padding
written out for onnx2torch, the new last layer over our alphabet, and the exported reader's two readings as the
runtime reads them."""

import numpy as np
import pytest
import torch

from helmetscan.plates.recognizer import PlateRecognizer
from helmetscan.tooling.line_reader import LINE_WIDTH, explicit_pads, export, line_reader, pretrained_network


def _same_upper_model(path=None):
    """A two-node ONNX model over (1, 3, 48, 320): a 3 × 3 stride-2 convolution with ``auto_pad = SAME_UPPER`` (the
    form PP-OCRv6's recogniser has three of) and a 2 × 2 max pool, SAME_UPPER too."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Conv", ["image", "w"], ["conv"], strides=[2, 2], auto_pad="SAME_UPPER"),
             helper.make_node("MaxPool", ["conv"], ["out"], kernel_shape=[2, 2], strides=[2, 2],
                              auto_pad="SAME_UPPER")]
    graph = helper.make_graph(nodes, "same", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                            [1, 3, 48, 320])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def test_same_padding_written_out_gives_the_same_output_and_no_auto_pad_is_left():
    import onnxruntime as ort

    model = _same_upper_model()
    image = np.random.default_rng(1).random((1, 3, 48, 320), dtype=np.float32)
    before = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = before.run(None, {"image": image})[0]
    explicit_pads(model)
    assert not [a for n in model.graph.node for a in n.attribute if a.name == "auto_pad"]
    # a 3 x 3 kernel at stride 2 over 48 x 320 pads 1 pixel, at the end (SAME_UPPER): (0, 0, 1, 1)
    assert [list(a.ints) for a in model.graph.node[0].attribute if a.name == "pads"] == [[0, 0, 1, 1]]
    after = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(after.run(None, {"image": image})[0], expected, atol=1e-5)


def _recogniser(path, classes=6, features=8):
    """A stand-in text-line recogniser in ONNX, PP-OCR's form: (N, 3, 48, 320) → (N, 40, classes) softmax through a
    last linear layer (MatMul + Add) from ``features``."""
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, features, 8, stride=8)
            self.head = torch.nn.Linear(features, classes)

        def forward(self, x):
            f = self.conv(x).mean(2).transpose(1, 2)  # (N, 40, features)
            return torch.softmax(self.head(f), -1)

    torch.manual_seed(0)
    torch.onnx.export(Tiny().eval(), torch.zeros(1, 3, 48, LINE_WIDTH), str(path), input_names=["x"],
                      output_names=["probs"], opset_version=17, dynamo=False,
                      dynamic_axes={"x": {0: "n"}, "probs": {0: "n"}})
    return path


def test_the_new_last_layer_keeps_the_pretrained_columns_of_the_characters_the_dictionary_holds(tmp_path):
    pytest.importorskip("onnx2torch")
    model = _recogniser(tmp_path / "rec.onnx")  # classes: blank, A, B, C, 7, space
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("A\nB\nC\n7\n", encoding="utf-8")
    network = pretrained_network(model, dictionary, "7AZ가")
    with torch.no_grad():
        probs = network(torch.rand(2, 3, 48, LINE_WIDTH))
    probs = probs[0] if isinstance(probs, (list, tuple)) else probs
    assert probs.shape == (2, 40, 5)  # blank + our 4 characters
    [weight] = [p for p in network.parameters() if p.ndim == 2 and p.shape[-1] == 5]
    import onnx
    from onnx import numpy_helper

    pretrained = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(model)).graph.initializer}
    [original] = [w for w in pretrained.values() if w.ndim == 2 and w.shape[-1] == 6]
    for ours, theirs in ((0, 0), (1, 4), (2, 1)):  # blank, 7, A
        np.testing.assert_allclose(weight[:, ours].detach().numpy(), original[:, theirs], atol=1e-6)
    assert float(weight[:, 3].abs().max()) < 0.1 and float(weight[:, 4].abs().max()) < 0.1  # Z, 가: new


def test_the_exported_reader_reads_a_crop_as_a_line_and_as_two_rows_and_the_runtime_keeps_the_surer(tmp_path):
    class Lines(torch.nn.Module):  # a "recogniser" whose step probabilities follow the line's brightness
        def forward(self, x):
            bright = x.mean((1, 2)).reshape(x.shape[0], 40, 8).mean(-1, keepdim=True)  # (N, 40, 1) in -1..1
            return torch.softmax(torch.cat([-8 * bright, 8 * bright, torch.zeros_like(bright)], -1), -1)

    reader = line_reader(Lines(), 3)
    path = tmp_path / "lines.onnx"
    export(reader, path, {"alphabet": "12", "decoder": "ctc"})
    x = torch.zeros(3, 1, 64, 256)
    x[1, :, :32] = 1.0  # white top half: its top row reads 1s, its bottom row nothing
    with torch.no_grad():
        line, rows = reader(x)
    assert line.shape == (3, 40, 3) and rows.shape == (3, 81, 3)
    assert float(rows[:, 40, 0].min()) == 1.0  # the certain blank between the rows
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx_line, onnx_rows = session.run(None, {"image": x.numpy()})
    np.testing.assert_allclose(onnx_line, line.numpy(), atol=1e-5)
    np.testing.assert_allclose(onnx_rows, rows.numpy(), atol=1e-5)
    recognizer = PlateRecognizer(path, views=1)
    black, half = np.zeros((40, 160, 3), np.uint8), np.zeros((40, 160, 3), np.uint8)
    half[:20] = 255
    reads = recognizer.read_batch([black, half])
    assert reads[0].confidence < 0.05  # all but certainly blank in both readings (the beam keeps one text)
    # the rows reading: its top row all 1s, its bottom row blank; the line reading sees a grey line, unsure
    assert reads[1].text == "1" and reads[1].confidence > 0.9
