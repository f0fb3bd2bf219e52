"""The threaded stage chain with fake stages: order, back-pressure, failures, early stops, no thread left behind; and
the analyzer gives the same results pipelined or not."""

from __future__ import annotations

import threading
import time

import pytest

from helmetscan.pipeline.staging import StageChain


def _no_chain_threads() -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name in {"source", "double", "slow", "boom"}]:
            return True
        time.sleep(0.01)
    return False


def test_items_come_out_in_order_through_every_stage():
    with StageChain(range(200), [("double", lambda x: 2 * x), ("slow", lambda x: (time.sleep(0.0005), x + 1)[1])],
                    maxsize=3) as chain:
        assert list(chain) == [2 * x + 1 for x in range(200)]
    assert _no_chain_threads()


def test_a_full_queue_holds_the_source_back():
    produced = []

    def source():
        for i in range(100):
            produced.append(i)
            yield i

    with StageChain(source(), [("double", lambda x: x)], maxsize=2) as chain:
        items = iter(chain)
        assert next(items) == 0
        time.sleep(0.3)  # a consumer that is slow: the source may run ahead by the queues' room only
        # two queues of 2, one item in each stage's hands and the one the source is blocked on
        assert len(produced) <= 1 + 2 * 2 + 2
    assert _no_chain_threads()


def test_a_failing_stage_stops_the_chain_and_the_consumer_gets_its_error():
    closed = threading.Event()

    def source():
        try:
            yield from range(1000)
        finally:
            closed.set()

    def boom(x):
        if x == 5:
            raise ValueError("stage 1 failed on frame 5")
        return x

    seen = []
    with pytest.raises(ValueError, match="frame 5"), StageChain(source(), [("boom", boom)], maxsize=2) as chain:
        for x in chain:
            seen.append(x)
    assert seen == [0, 1, 2, 3, 4]
    assert closed.wait(5)  # the source generator was closed (the video released)
    assert _no_chain_threads()


def test_a_failing_source_reaches_the_consumer():
    def source():
        yield 1
        raise OSError("decode error")

    with pytest.raises(OSError, match="decode error"), StageChain(source(), [("double", lambda x: x)]) as chain:
        assert list(chain) == [1]
    assert _no_chain_threads()


def test_stopping_early_stops_every_thread():
    with StageChain(iter(range(10**9)), [("double", lambda x: x), ("slow", lambda x: x)], maxsize=4) as chain:
        for x in chain:
            if x == 10:
                break
    assert chain.alive == 0 and _no_chain_threads()


def test_queue_size_must_be_positive():
    with pytest.raises(ValueError, match="queue size"):
        StageChain([], [], maxsize=0)


@pytest.fixture(scope="module")
def models():
    from conftest import WEIGHTS, WEIGHT_FILES

    missing = [n for n in WEIGHT_FILES if not (WEIGHTS / n).exists()]
    if missing:
        pytest.skip(f"{missing} absent; run `make weights`")
    from helmetscan.config import Settings
    from helmetscan.pipeline.loading import load_models

    return load_models(Settings())


def _findings(models, pipelined: bool):
    from conftest import FOOTAGE
    from helmetscan.config import Settings
    from helmetscan.pipeline.analyzer import Analyzer

    if not FOOTAGE.exists():
        pytest.skip("../shared is not beside the repository")
    settings = Settings(runtime={"pipelined": pipelined})
    analysis = Analyzer(settings, models.detector, models.head_detector, models.plate_detector, models.recognizer,
                        models.head_classifier).analyze(FOOTAGE)
    return ([(f.decision.track_id, [(p.person_id, p.verdict, p.frames_judged) for p in f.decision.people],
              f.decision.best.frame_index, f.plate.plate.text, f.plate.plate.best_guess) for f in analysis.findings],
            analysis.tracks, analysis.decode)


def test_the_pipelined_frame_loop_finds_exactly_what_the_sequential_one_finds(models):
    pipelined, sequential = _findings(models, True), _findings(models, False)
    assert pipelined[0] and pipelined == sequential
    assert _no_chain_threads()


def test_torch_keeps_the_threads_we_set_after_ultralytics_predicts(models):
    import subprocess
    import sys

    # in a process of its own: torch's thread count is global to the process
    code = ("import numpy as np, torch; from helmetscan.config import Settings; "
            "from helmetscan.pipeline.loading import load_models; "
            "m = load_models(Settings(runtime={'threads': 3, 'pipelined': False})); "
            "m.plate_detector(np.zeros((240, 320, 3), np.uint8)); print(torch.get_num_threads())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    # ultralytics would have set cpu_count - 1 (1 on 2 cores) at the plate detector's first predict
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1] == "3", proc.stderr[-2000:]
