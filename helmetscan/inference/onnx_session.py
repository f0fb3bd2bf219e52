"""ONNX Runtime sessions on the CPU with the thread count we set, shared by every ONNX model we run."""

from __future__ import annotations

from pathlib import Path

from helmetscan.core.errors import WeightsError


def cpu_session(path: Path, threads: int = 1):
    """An ``onnxruntime.InferenceSession`` of ``path`` on the CPU with ``threads`` intra-op threads and one inter-op
    thread (our models are single chains: nothing to run side by side inside one).

    Raises:
        WeightsError: the file is not a readable ONNX model.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise WeightsError(f"{path}: not a readable ONNX model ({exc})") from None
