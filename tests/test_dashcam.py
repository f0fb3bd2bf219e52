from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helmetscan.runner.dashcam import (
    Recording, TimeSource, first_creation_time, local_time, parse_creation_time, parse_name, recording_of, vehicle_of,
)

SEOUL = ZoneInfo("Asia/Seoul")
T = datetime(2026, 11, 21, 15, 30, 12)  # the local start every valid name below encodes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # BlackVue: event letter, channel letter, optional sub-suffix
        ("Record/20261121_153012_NF.mp4", (T, "front", "normal")),
        ("20261121_153012_EF.mp4", (T, "front", "event")),
        ("20261121_153012_PR.mp4", (T, "rear", "parking")),
        ("20261121_153012_MI.mp4", (T, "interior", "manual")),
        ("20261121_153012_NF_s.mp4", (T, "front", "normal")),
        ("20261121_153012_nr.MP4", (T, "rear", "normal")),
        # BlackVue's finer event letters (parking impact, hard braking, geofence exit) are events
        ("20261121_153012_IF.mp4", (T, "front", "event")),
        ("20261121_153012_BR.mp4", (T, "rear", "event")),
        ("20261121_153012_XI.mp4", (T, "interior", "event")),
        # BlackVue-like but unknown letters: the time still counts, the letters do not
        ("20261121_153012_ZF.mp4", (T, None, None)),
        ("20261121_153012_NZ.mp4", (T, None, None)),
        # Novatek: counter, optional channel letter
        ("DCIM/Movie/2026_1121_153012_001F.MP4", (T, "front", None)),
        ("2026_1121_153012_001R.MP4", (T, "rear", None)),
        ("2026_1121_153012_001.MP4", (T, None, None)),
        ("2026_1121_153012_0001F.MP4", (T, "front", None)),
        ("2026_1121_153012_001A.MP4", (T, None, None)),  # unknown letter: Novatek time found by the general search
        # date and time anywhere in the stem
        ("FILE20261121-153012.mp4", (T, None, None)),
        ("REC_20261121_153012.avi", (T, None, None)),
        ("cam1_20261121_153012_0042.mov", (T, None, None)),
        ("x_2026_1121_153012.mp4", (T, None, None)),
        ("FILE20261399_000000_20261121_153012.mp4", (T, None, None)),  # first candidate invalid, second valid
        # no time in the name
        ("FILE0001.MP4", (None, None, None)),
        ("random text.mp4", (None, None, None)),
        ("", (None, None, None)),
        # impossible dates and times: no match, not an exception
        ("20261321_153012_NF.mp4", (None, None, None)),  # month 13
        ("20261131_153012_NF.mp4", (None, None, None)),  # 31 November
        ("20270229_153012.mp4", (None, None, None)),  # not a leap year
        ("20261121_256100_NF.mp4", (None, None, None)),  # 25:61:00
        ("2026_1121_256100_001F.MP4", (None, None, None)),
        ("2026_1321_153012_001F.MP4", (None, None, None)),
        # too few / too many digits, counters that are not dates
        ("2026112_153012_NF.mp4", (None, None, None)),
        ("20261121_15301_NF.mp4", (None, None, None)),
        ("120261121_153012.mp4", (None, None, None)),  # date inside a longer number
        ("20261121_1530123.mp4", (None, None, None)),
        ("19991121_153012.mp4", (None, None, None)),  # year outside 2000-2099
        ("19991121_153012_NF.mp4", (None, None, None)),
        ("2100_0101_000000_001F.MP4", (None, None, None)),
        ("00012345_000001.mp4", (None, None, None)),  # 8-digit counter
        ("20261121153012.mp4", (None, None, None)),  # no separator: not a layout we know
    ],
)
def test_parse_name(name, expected):
    assert parse_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21T06:30:12.000000Z", datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC)),
        ("2026-11-21 06:30:12", datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC)),  # no zone: UTC per the MP4 spec
        ("2026-11-21T15:30:12+09:00", datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC)),
        ("1904-01-01T00:00:00.000000Z", None),  # MP4 zero timestamp: clock never set
        ("1970-01-01T00:00:00.000000Z", None),
        ("not a time", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_creation_time(value, expected):
    assert parse_creation_time(value) == expected


def test_first_creation_time_falls_back_to_the_stream():
    stream_time = datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC)
    container = {"major_brand": "isom", "creation_time": "1904-01-01T00:00:00.000000Z"}
    stream = {"creation_time": "2026-11-21T06:30:12.000000Z"}
    assert first_creation_time([container, stream]) == stream_time
    assert first_creation_time([{}, {}]) is None


@pytest.mark.parametrize(
    ("rel", "root", "expected"),
    [
        ("bus12/Record/20261121_153012_NF.mp4", ".", "bus12"),
        ("bus12/x.mp4", ".", "bus12"),
        ("x.mp4", ".", None),  # directly in root
        ("bus12/Record/x.mp4", None, None),  # no root
        ("bus12/Record/x.mp4", "bus12", "Record"),  # root is the SD card itself: its first folder
    ],
)
def test_vehicle_of(tmp_path, rel, root, expected):
    assert vehicle_of(tmp_path / rel, None if root is None else tmp_path / root) == expected


def test_vehicle_of_path_outside_root(tmp_path):
    assert vehicle_of(tmp_path / "a" / "x.mp4", tmp_path / "b") is None


def _write_mp4(path: Path, creation_time: str | None, frames: int = 10) -> Path:
    av = pytest.importorskip("av")
    import numpy as np

    with av.open(str(path), "w") as out:
        if creation_time is not None:
            out.metadata["creation_time"] = creation_time
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_recording_from_file_name_wins_over_container(tmp_path):
    (tmp_path / "bus12" / "Record").mkdir(parents=True)
    path = _write_mp4(tmp_path / "bus12" / "Record" / "20261121_153012_ER.mp4", "2020-01-01T00:00:00.000000Z")
    rec = recording_of(path, tmp_path, SEOUL)
    assert rec == Recording(T, TimeSource.FILENAME, "rear", "event", "bus12")


def test_recording_from_container_creation_time(tmp_path):
    (tmp_path / "bus12" / "DCIM").mkdir(parents=True)
    path = _write_mp4(tmp_path / "bus12" / "DCIM" / "FILE0001.MP4", "2026-11-21T06:30:12.000000Z")
    rec = recording_of(path, tmp_path, SEOUL)
    assert rec.time_source is TimeSource.CONTAINER
    assert rec.start == datetime(2026, 11, 21, 15, 30, 12, tzinfo=SEOUL)
    assert rec.start.utcoffset().total_seconds() == 9 * 3600
    assert (rec.channel, rec.event, rec.vehicle) == (None, None, "bus12")
    assert recording_of(path, tmp_path, SEOUL, vehicle="truck 7").vehicle == "truck 7"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "a valid MP4 without creation_time"),
        (b"this is not a video\n" * 10, "text bytes"),
        (b"", "empty file"),
    ],
)
def test_recording_unknown(tmp_path, content, why):
    path = tmp_path / "FILE0001.MP4"
    if content is None:
        _write_mp4(path, None)
    else:
        path.write_bytes(content)
    assert recording_of(path, tmp_path, SEOUL) == Recording(None, TimeSource.UNKNOWN, None, None, None), why


def test_recording_of_missing_file_is_unknown(tmp_path):
    assert recording_of(tmp_path / "gone.mp4", None, SEOUL).time_source is TimeSource.UNKNOWN


@pytest.mark.parametrize(
    ("start", "timestamp_s", "tz", "expected"),
    [
        # naive start: wall-clock time in tz
        (T, 0.0, SEOUL, "2026-11-21T15:30:12+09:00"),
        (T, 12.5, SEOUL, "2026-11-21T15:30:24.500000+09:00"),
        (datetime(2026, 11, 21, 23, 59, 50), 20.0, SEOUL, "2026-11-22T00:00:10+09:00"),
        # aware start (from the container): converted to tz
        (datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC), 1.0, SEOUL, "2026-11-21T15:30:13+09:00"),
        # across the end of daylight saving time in New York (2026-11-01 02:00 EDT -> 01:00 EST): 30 min after
        # 01:50 EDT is 01:20 EST
        (datetime(2026, 11, 1, 1, 50), 1800.0, ZoneInfo("America/New_York"), "2026-11-01T01:20:00-05:00"),
    ],
)
def test_local_time(start, timestamp_s, tz, expected):
    rec = Recording(start, TimeSource.FILENAME, None, None, None)
    when = local_time(rec, timestamp_s, tz)
    assert when.isoformat() == expected
    assert when.tzinfo is tz


def test_local_time_unknown_start():
    assert local_time(Recording(None, TimeSource.UNKNOWN, None, None, None), 3.0, SEOUL) is None
