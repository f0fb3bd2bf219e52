"""The pipeline composed with fake models (plain callables satisfying the model Protocols) on a generated video, run
through the batch runner as the CLI runs it."""

import json
from pathlib import Path

import pytest

from helmetscan.config import Settings
from helmetscan.core.detections import Detection, TextRead
from helmetscan.pipeline.loading import Models
from helmetscan.results.evidence import load_results
from helmetscan.results.records import SCHEMA_VERSION, HeadState, PlateStatus, VideoRecord, VideoStatus, ViolationRecord
from helmetscan.runner.batch import BatchRunner, refresh_outputs
from helmetscan.runner.discovery import video_key

from conftest import write_video


class FakeStage2:
    """One head at the top centre of the rider crop: bare when ``bare``, else helmeted."""

    bare = True

    def __call__(self, crop):
        h, w = crop.shape[:2]
        label = "without helmet" if self.bare else "with helmet"
        return [Detection((w * 0.35, h * 0.08, w * 0.65, h * 0.25), 0.8, label)]


def stage1(image):
    return [
        Detection((100.0, 40.0, 180.0, 200.0), 0.9, "person"),
        Detection((90.0, 120.0, 190.0, 230.0), 0.8, "motorcycle"),
    ]


def plates(region):
    h, w = region.shape[:2]
    return [Detection((w * 0.3, h * 0.8, w * 0.7, h * 0.9), 0.7, "license_plate")]


def make_ocr(texts):
    calls = iter(texts)
    return lambda image: TextRead(next(calls, "TN05AT7024"), 0.8)


#: The fake reader gives one confidence per read, like EasyOCR: fused as EasyOCR's reads are, judged with the floor
#: EasyOCR had before session 16 (0.5; its default since, 1.0, keeps its plates unread: config.DEFAULT_PLATE_FLOORS).
#: The fake stage 2 boxes heads on the motorcycle crop (the borrowed verifier's way, `heads_from = "stage2"`).
ONE_CONFIDENCE_READER = Settings(plates={"recognizer": "easyocr", "min_plate_conf": 0.5},
                                 verification={"heads_from": "stage2"})


def runner(detector=stage1, head_detector=None, plate_detector=plates, ocr=None, settings=None):
    models = Models(detector, head_detector or FakeStage2(), plate_detector, ocr or make_ocr([]), {"fake.pt": "ab" * 32})
    settings = settings or ONE_CONFIDENCE_READER
    # the fake stage 2 boxes heads on the motorcycle crop, as the borrowed verifier does
    settings = settings.model_copy(update={"verification": settings.verification.model_copy(
        update={"heads_from": "stage2"})})
    return BatchRunner(settings, models)


@pytest.fixture
def clip(tmp_path):
    return write_video(tmp_path / "clip.avi", n_frames=30, fps=10, size=(320, 240), fourcc="MJPG")


def test_one_rider_is_one_violation_with_a_fused_plate(tmp_path, clip):
    batch = runner(ocr=make_ocr(["TN05AT7O24", "TN05AT7024", "TNO5AT7024", "TN05AT7024"]))
    seen = []
    result = batch.run_video(clip, tmp_path / "out", "clip", on_frame=lambda d, n: seen.append((d, n)))
    assert result.status is VideoStatus.DONE, result.error
    assert result.counts.frames_sampled == 15 and seen[-1][0] == 15
    assert result.counts.riders_tracked == 1 and result.counts.violations == 1
    # stage 2 stops once settled (3 agreeing frames by default), not on all 15 frames
    assert result.counts.stage2_checks == 3
    assert set(result.timing_s) >= {"hash", "decode", "stage1", "tracking", "stage2", "plates"}
    assert result.stage_fps["plates"] > 0 and result.stage_fps["decode"] > 0
    _, [record] = load_results(tmp_path / "out")
    assert record.plate.text == "TN05AT7024" and record.plate.status is PlateStatus.READ
    assert record.plate.frames_read == 12  # plates.max_frames_per_track
    assert record.decision.frames_without_helmet == 3
    assert [v.state for v in record.decision.verdicts] == [HeadState.WITHOUT_HELMET] * 3
    assert record.violation_id == "clip_t0001" and record.track_id == 1 and record.models == {"fake.pt": "ab" * 32}
    assert set(record.evidence_files) == {"frame.png", "annotated.jpg", "rider.png", "plate.png", "plate_upscaled.png",
                                          "excerpt.avi"}
    # the clip is 3 s at 10 fps, all keyframes: 10 s either side of the evidence frame is the whole clip
    assert record.excerpt.file == "excerpt.avi" and record.excerpt.start_s == 0.0
    assert record.excerpt.end_s == pytest.approx(3.0)
    assert result.violation_ids == ["clip_t0001"]
    assert set(result.evidence_sha256) == {f"clip/clip_t0001/{n}" for n in [*record.evidence_files, "record.json"]}


def test_records_round_trip_through_their_json_files(tmp_path, clip):
    batch = runner()
    batch.run_video(clip, tmp_path / "out", "clip")
    folder = tmp_path / "out" / "clip"
    for path, model in ((folder / "video.json", VideoRecord), (folder / "clip_t0001" / "record.json", ViolationRecord)):
        text = path.read_text(encoding="utf-8")
        record = model.model_validate_json(text)
        assert json.loads(text)["schema_version"] == SCHEMA_VERSION
        # the object read back writes the same JSON again, field for field
        assert record.model_dump(mode="json") == json.loads(text)
        assert model.model_validate_json(record.model_dump_json()) == record


def test_a_record_from_a_newer_helmetscan_is_refused_with_its_path(tmp_path, clip):
    from helmetscan.core.errors import ResultsError

    runner().run_video(clip, tmp_path / "out", "clip")
    path = tmp_path / "out" / "clip" / "video.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema_version": 99}))
    with pytest.raises(ResultsError, match=r"video.json: not a valid VideoRecord \(schema_version: .*newer"):
        load_results(tmp_path / "out")


def test_a_helmeted_rider_is_no_violation(tmp_path, clip):
    stage2 = FakeStage2()
    stage2.bare = False
    result = runner(head_detector=stage2).run_video(clip, tmp_path / "out", "clip")
    assert result.counts.violations == 0 and result.violation_ids == []


def test_plates_of_another_class_are_not_read(tmp_path, clip):
    """The plate stage uses only boxes whose label is in plates.roles.plate."""

    def other(region):
        return [Detection(d.xyxy, d.confidence, "headlight") for d in plates(region)]

    runner(plate_detector=other).run_video(clip, tmp_path / "out", "clip")
    _, [record] = load_results(tmp_path / "out")
    assert record.plate.status is PlateStatus.UNREAD and record.plate.frames_read == 0
    assert "plate.png" not in record.evidence_files


def test_a_fault_inside_a_model_fails_the_video_not_the_batch(tmp_path, clip):
    good = write_video(tmp_path / "good.avi", n_frames=10, fps=10, size=(320, 240), fourcc="MJPG")
    calls = {"n": 0}

    def breaks_on_first_video(image):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model exploded")
        return stage1(image)

    result = runner(detector=breaks_on_first_video).run([clip, good], tmp_path / "out")
    assert [r.status for r in result.videos] == [VideoStatus.FAILED, VideoStatus.DONE]
    assert "model exploded" in result.failures[0] and len(result.failures) == 1
    stored = json.loads((tmp_path / "out" / result.videos[0].video_key / "video.json").read_text())
    assert stored["status"] == "failed" and stored["info"]["width"] == 320
    assert (tmp_path / "out" / "settings.json").is_file() and (tmp_path / "out" / "report.html").is_file()


def test_progress_callback_sees_every_video(tmp_path, clip):
    events = []

    class Recorder:
        def batch_started(self, videos, footage_s, skipped):
            events.append(("batch", videos, skipped))
            assert footage_s == pytest.approx(3.0)

        def video_started(self, path, index, total):
            events.append(("start", path.name, index, total))

        def frame_done(self, done, expected):
            events.append(("frame", done))

        def video_finished(self, record):
            events.append(("done", record.video_key, record.status.value))

    runner().run([clip], tmp_path / "out", Recorder())
    assert events[0] == ("batch", 1, 0) and events[1] == ("start", "clip.avi", 0, 1)
    assert events[-1][0] == "done" and events[-1][1].startswith("clip-") and events[-1][2] == "done"
    assert [e[1] for e in events if e[0] == "frame"] == list(range(1, 16))


def test_refresh_writes_reports_and_checksums(tmp_path, clip):
    runner().run_video(clip, tmp_path / "out", "clip")
    refresh_outputs(tmp_path / "out")
    sums = (tmp_path / "out" / "SHA256SUMS").read_text()
    assert "clip/clip_t0001/frame.png" in sums and "clip/video.json" in sums


@pytest.mark.parametrize(
    ("path", "sha256", "key"),
    [
        ("/a/0001.MP4", "3fa2b9c01d" + "0" * 54, "0001-3fa2b9c01d"),
        ("/b/0001.mp4", "aa" * 32, "0001-aaaaaaaaaa"),  # same name, other content: another folder
        ("/c/../x y<>.mov", "bb" * 32, "x_y-bbbbbbbbbb"),
        ("/d/.mp4", "cc" * 32, "mp4-cccccccccc"),
    ],
)
def test_video_keys_are_safe_and_carry_the_content_hash(path, sha256, key):
    assert video_key(Path(path), sha256) == key


def fake_models(settings):
    """The fake models as a factory (what a Ray actor calls once to load its models)."""
    return Models(stage1, FakeStage2(), plates, make_ocr([]), {"fake.pt": "ab" * 32})


class RiderAndPillion:
    """Two heads side by side at the top of the motorcycle crop: the rider's helmeted, the pillion's bare."""

    def __call__(self, crop):
        h, w = crop.shape[:2]
        return [Detection((w * 0.22, h * 0.08, w * 0.42, h * 0.2), 0.9, "with helmet"),
                Detection((w * 0.5, h * 0.13, w * 0.7, h * 0.25), 0.8, "without helmet")]


def two_people(image):
    return [Detection((100.0, 40.0, 150.0, 200.0), 0.9, "person"),  # rider
            Detection((140.0, 45.0, 185.0, 205.0), 0.9, "person"),  # pillion
            Detection((90.0, 120.0, 190.0, 230.0), 0.8, "motorcycle")]


def test_a_bare_headed_pillion_behind_a_helmeted_rider_is_one_violation_listing_both(tmp_path, clip):
    batch = runner(detector=two_people, head_detector=RiderAndPillion())
    result = batch.run_video(clip, tmp_path / "out", "clip")
    assert result.counts.riders_tracked == 1 and result.counts.violations == 1
    _, [record] = load_results(tmp_path / "out")
    assert record.people_without_helmet == 1
    assert [(p.person_id, p.verdict, p.position) for p in record.people] == [
        (1, HeadState.WITH_HELMET, "left"), (2, HeadState.WITHOUT_HELMET, "right")]
    assert all(p.role == "rider or passenger" and p.head_xyxy is not None for p in record.people)
    assert record.head_xyxy == record.people[1].head_xyxy  # the evidence head is the pillion's
    assert {v.person_id for v in record.decision.verdicts} == {1, 2}
    from helmetscan.results.report import csv_rows

    [row] = csv_rows([record])
    assert row["people_without_helmet"] == 1 and row["people_seen"] == 2
