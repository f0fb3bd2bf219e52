import json
import logging
import os
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

pynmea2 = pytest.importorskip("pynmea2")

from helmetscan.runner.gps import (  # noqa: E402
    KMH_PER_KNOT, Fix, Position, find_gps_track, fixes_from_exiftool, place_at, position_at, read_nmea,
)

T0 = datetime(2026, 11, 21, 6, 30, 12, tzinfo=UTC)  # 15:30:12 in Seoul
LAT0, LON0 = 37.5665, 126.9780  # Seoul City Hall
DLAT, DLON = 1.0e-4, 1.2e-4  # degrees per second: north-east, ~15 m/s
SPEED0, DSPEED = 40.0, 0.5  # km/h, km/h per second
N = 60  # fixes, 1 Hz


def truth(t_s: float) -> tuple[float, float, float]:
    """Where the generated vehicle is t_s seconds after T0: (latitude, longitude, speed_kmh)."""
    return LAT0 + DLAT * t_s, LON0 + DLON * t_s, SPEED0 + DSPEED * t_s


def _dm(value: float, degree_digits: int) -> tuple[str, str]:
    """Signed degrees as NMEA (d)ddmm.mmmmmm and hemisphere letter index (0: +, 1: -)."""
    a = abs(value)
    deg = int(a)
    return f"{deg:0{degree_digits}d}{(a - deg) * 60:09.6f}", 0 if value >= 0 else 1


def rmc(when: datetime, lat: float, lon: float, speed_kmh: float, status: str = "A", talker: str = "GP") -> str:
    la, ns = _dm(lat, 2)
    lo, ew = _dm(lon, 3)
    fields = (when.strftime("%H%M%S.%f")[:9], status, la, "NS"[ns], lo, "EW"[ew],
              f"{speed_kmh / KMH_PER_KNOT:.4f}", "45.0", when.strftime("%d%m%y"), "", "", "A")
    return pynmea2.RMC(talker, "RMC", fields).render()


def gga(when: datetime | None, lat: float, lon: float, quality: int = 1, talker: str = "GN") -> str:
    la, ns = _dm(lat, 2)
    lo, ew = _dm(lon, 3)
    stamp = when.strftime("%H%M%S.%f")[:9] if when else ""
    fields = (stamp, la, "NS"[ns], lo, "EW"[ew], str(quality), "08", "0.9", "35.0", "M", "18.0", "M", "", "")
    return pynmea2.GGA(talker, "GGA", fields).render()


GSA = pynmea2.GSA("GP", "GSA", ("A", "3", "04", "05", "", "09", "12", "", "", "24", "", "", "", "", "2.5", "1.3",
                                "2.1")).render()


def track_lines(gga_too: bool = True) -> list[str]:
    lines = []
    for i in range(N):
        lat, lon, speed = truth(i)
        when = T0 + timedelta(seconds=i)
        if gga_too:
            lines.append(gga(when, lat, lon))  # before its RMC: the merge must still keep the RMC
        lines.append(rmc(when, lat, lon, speed))
        lines.append(GSA)  # no position: ignored, not counted
    return lines


@pytest.fixture(scope="module")
def track() -> list[Fix]:
    return read_nmea("\n".join(track_lines()))


def test_track_is_read_merged_and_sorted(track, caplog):
    with caplog.at_level(logging.INFO, logger="helmetscan.runner.gps"):
        assert read_nmea("\n".join(track_lines())) == track
    assert "garbled" not in caplog.text  # GGA and GSA lines are not errors
    assert len(track) == N
    assert [f.time for f in track] == [T0 + timedelta(seconds=i) for i in range(N)]
    for i, fix in enumerate(track):
        lat, lon, speed = truth(i)
        assert fix.latitude == pytest.approx(lat, abs=1e-7)
        assert fix.longitude == pytest.approx(lon, abs=1e-7)
        assert fix.speed_kmh == pytest.approx(speed, abs=1e-3)  # RMC won the merge: it has speed
    assert read_nmea("\n".join(reversed(track_lines()))) == track


@pytest.mark.parametrize("t_s", [0.0, 0.5, 12.25, 30.0, 41.9, 59.0])
def test_position_between_fixes_is_linear_interpolation(track, t_s):
    pos = position_at(track, T0 + timedelta(seconds=t_s))
    i = min(int(t_s), N - 2)
    a, b, w = track[i], track[i + 1], t_s - i
    assert pos.latitude == pytest.approx(a.latitude + (b.latitude - a.latitude) * w, abs=1e-9)
    assert pos.longitude == pytest.approx(a.longitude + (b.longitude - a.longitude) * w, abs=1e-9)
    assert pos.speed_kmh == pytest.approx(a.speed_kmh + (b.speed_kmh - a.speed_kmh) * w, abs=1e-9)
    lat, lon, speed = truth(t_s)  # the vehicle moves linearly, so interpolation recovers where it was
    assert (pos.latitude, pos.longitude) == (pytest.approx(lat, abs=1e-6), pytest.approx(lon, abs=1e-6))
    assert pos.speed_kmh == pytest.approx(speed, abs=1e-3)


@pytest.mark.parametrize(
    ("offset_s", "max_gap_s", "expected_index"),
    [
        (-5.0, 10.0, 0),  # before the track, within the gap: first fix
        (-10.0, 10.0, 0),
        (-10.5, 10.0, None),  # too far before
        (N - 1 + 9.0, 10.0, N - 1),  # after the track, within the gap: last fix
        (N - 1 + 11.0, 10.0, None),
        (N - 1 + 11.0, 30.0, N - 1),  # a looser gap places it
        (-3600.0, 10.0, None),
    ],
)
def test_position_outside_track(track, offset_s, max_gap_s, expected_index):
    pos = position_at(track, T0 + timedelta(seconds=offset_s), max_gap_s)
    if expected_index is None:
        assert pos is None
    else:
        f = track[expected_index]
        assert pos == Position(f.latitude, f.longitude, f.speed_kmh)


def test_position_in_a_hole_of_the_track(track):
    holed = track[:10] + track[40:]  # no fix from 10 s to 39 s (a tunnel)
    assert position_at(holed, T0 + timedelta(seconds=12)) == Position(track[9].latitude, track[9].longitude,
                                                                      track[9].speed_kmh)  # 3 s after the last fix
    assert position_at(holed, T0 + timedelta(seconds=38)).latitude == track[40].latitude
    assert position_at(holed, T0 + timedelta(seconds=25)) is None  # 16 s from both sides
    assert position_at(holed, T0 + timedelta(seconds=25), max_gap_s=30.0) is not None  # hole interpolated


def test_position_any_zone_and_naive_refused(track):
    seoul = timezone(timedelta(hours=9))
    assert position_at(track, (T0 + timedelta(seconds=3)).astimezone(seoul)) == position_at(track, T0 + timedelta(
        seconds=3))
    with pytest.raises(ValueError, match="naive"):
        position_at(track, T0.replace(tzinfo=None))
    assert position_at([], T0) is None


def test_the_place_of_a_violation_is_its_position_rounded_as_records_store_it(track):
    seoul = timezone(timedelta(hours=9))
    when = (T0 + timedelta(seconds=12.3)).astimezone(seoul)  # a local time, as the dashcam's name gives it
    place = place_at(track, when, 10.0, "nmea")
    lat, lon, speed = truth(12.3)
    assert (place.latitude, place.longitude, place.speed_kmh, place.source) == (
        pytest.approx(lat, abs=1e-6), pytest.approx(lon, abs=1e-6), pytest.approx(speed, abs=0.05), "nmea")
    assert place.latitude == round(place.latitude, 6) and place.speed_kmh == round(place.speed_kmh, 1)
    assert place_at(track, T0 + timedelta(seconds=N + 20), 10.0, "nmea") is None  # off the track: no place


def test_position_across_the_antimeridian():
    fixes = [Fix(T0, 0.0, 179.9, None), Fix(T0 + timedelta(seconds=2), 0.0, -179.9, None)]
    assert abs(position_at(fixes, T0 + timedelta(seconds=1)).longitude) == pytest.approx(180.0, abs=1e-9)
    assert position_at(fixes, T0 + timedelta(seconds=1.5)).longitude == pytest.approx(-179.95, abs=1e-9)
    assert position_at(fixes, T0 + timedelta(seconds=1)).speed_kmh is None


def test_gga_only_dated_by_hint():
    lines = [gga(T0 + timedelta(seconds=i), *truth(i)[:2]) for i in range(5)]
    assert read_nmea("\n".join(lines)) == []  # no date anywhere
    fixes = read_nmea("\n".join(lines), date_hint=date(2026, 11, 21))
    assert [f.time for f in fixes] == [T0 + timedelta(seconds=i) for i in range(5)]
    assert all(f.speed_kmh is None for f in fixes)
    assert fixes[2].latitude == pytest.approx(truth(2)[0], abs=1e-7)


def test_gga_dated_by_last_rmc_across_midnight():
    before = datetime(2026, 11, 21, 23, 59, 59, tzinfo=UTC)
    text = "\n".join([rmc(before, LAT0, LON0, 30.0), gga(before + timedelta(seconds=1), LAT0, LON0)])
    fixes = read_nmea(text, date_hint=date(2000, 1, 1))  # the RMC's date wins over the hint
    assert [f.time for f in fixes] == [before, datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("gga_time", "rmc_time"),
    [
        (T0, T0 + timedelta(seconds=1)),
        # across midnight: the GGA belongs to the day before the RMC's
        (datetime(2026, 11, 21, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)),
    ],
)
def test_gga_before_the_first_rmc_is_dated_by_it(gga_time, rmc_time):
    text = "\n".join([gga(gga_time, LAT0, LON0), rmc(rmc_time, LAT0, LON0, 30.0)])
    assert [(f.time, f.speed_kmh is None) for f in read_nmea(text)] == [(gga_time, True), (rmc_time, False)]


def test_undatable_gga_is_counted(caplog):
    with caplog.at_level(logging.INFO, logger="helmetscan.runner.gps"):
        assert read_nmea(gga(T0, LAT0, LON0)) == []
    assert "1 GGA fix(es) before any date" in caplog.text


@pytest.mark.parametrize(
    ("bad_line", "counted"),
    [
        ("$GPRMC,063013.00,A,3733.9,N,126*00", True),  # cut off by power loss: bad checksum
        (rmc(T0 + timedelta(seconds=1), 10.0, 10.0, 5.0)[:-2] + "00", True),  # whole sentence, wrong checksum
        (rmc(T0 + timedelta(seconds=1), 10.0, 10.0, 5.0).split("*")[0], True),  # no checksum
        ("\x00\x00garbage ### line", True),
        ("$GPZZZ,1,2,3*00", True),  # unknown sentence type with wrong checksum
        ("$GPZZZ,1,2,3*" + "%02X" % pynmea2.NMEASentence.checksum("GPZZZ,1,2,3"), False),  # unknown type: ignored
        (GSA, False),
        (rmc(T0 + timedelta(seconds=1), 10.0, 10.0, 5.0, status="V"), False),  # void: no fix, not an error
        (gga(T0 + timedelta(seconds=1), 10.0, 10.0, quality=0), False),  # no fix
        ("$GPRMC,063013.00,A,,,,,0.0,0.0,211126,,,A*" + "%02X" % pynmea2.NMEASentence.checksum(
            "GPRMC,063013.00,A,,,,,0.0,0.0,211126,,,A"), True),  # valid checksum, empty coordinates
    ],
)
def test_bad_lines_are_skipped(caplog, bad_line, counted):
    good = [rmc(T0, LAT0, LON0, 30.0), rmc(T0 + timedelta(seconds=2), LAT0, LON0, 30.0)]
    with caplog.at_level(logging.INFO, logger="helmetscan.runner.gps"):
        fixes = read_nmea("\n".join([good[0], bad_line, good[1]]))
    assert [f.time for f in fixes] == [T0, T0 + timedelta(seconds=2)]
    assert ("1 garbled" in caplog.text) is counted


def test_blackvue_prefixes():
    ms = int(T0.timestamp() * 1000)
    lines = [f"[{ms + 1000 * i}]{rmc(T0 + timedelta(seconds=i), *truth(i))}" for i in range(3)]
    lines.append(f"[{ms + 3000}]{gga(None, *truth(3)[:2])}")  # no time in the sentence: the prefix gives it
    lines.append(f"[{ms + 4000}]")  # bare prefix: nothing
    fixes = read_nmea("\r\n".join(lines) + "\r\n")
    assert [f.time for f in fixes] == [T0 + timedelta(seconds=i) for i in range(4)]
    assert fixes[1].latitude == pytest.approx(truth(1)[0], abs=1e-7)
    assert fixes[3].speed_kmh is None


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@pytest.mark.parametrize(
    ("video", "sidecar"),
    [
        ("Record/20261121_153012_NF.mp4", "Record/20261121_153012_N.gps"),  # BlackVue: one log for all channels
        ("Record/20261121_153012_ER.mp4", "Record/20261121_153012_E.gps"),
        ("Record/20261121_153012_NF.mp4", "Record/20261121_153012_NF.gps"),
        ("2026_1121_153012_001F.MP4", "2026_1121_153012_001F.nmea"),
        ("FILE0001.MP4", "FILE0001.NMEA"),
        ("FILE0001.MP4", "FILE0001.txt"),
    ],
)
def test_find_gps_track_sidecar(tmp_path, monkeypatch, video, sidecar):
    monkeypatch.setattr("shutil.which", lambda name: None)
    (tmp_path / "Record").mkdir()
    video_path = tmp_path / video
    video_path.write_bytes(b"")
    ms = int(T0.timestamp() * 1000)
    _write(tmp_path / sidecar, [f"[{ms + 1000 * i}]{line}" for i, line in enumerate(track_lines(gga_too=False))])
    fixes, source = find_gps_track(video_path)
    assert source == f"sidecar:{Path(sidecar).name}"
    assert len(fixes) == N
    assert fixes[0].latitude == pytest.approx(LAT0, abs=1e-7)


@pytest.mark.parametrize(
    ("files", "expected_source"),
    [
        ({}, "none"),
        ({"20261121_153012_NF.gps": "$GPRMC,,V,,,,,,,,,,N*53\n"}, "none"),  # a log without fix
        ({"20261121_153012_R.gps": None}, "none"),  # another recording's event letter is not ours
        ({"20261121_153012.gps": None}, "none"),
        # a sidecar without fix does not hide a later one that has fixes
        ({"20261121_153012_NF.gps": "no fix yet\n", "20261121_153012_N.gps": None}, "sidecar:20261121_153012_N.gps"),
    ],
)
def test_find_gps_track_without_usable_sidecar(tmp_path, monkeypatch, files, expected_source):
    monkeypatch.setattr("shutil.which", lambda name: None)  # exiftool not installed: skipped
    video = tmp_path / "20261121_153012_NF.mp4"
    video.write_bytes(b"")
    for name, text in files.items():
        if text is None:
            _write(tmp_path / name, track_lines())
        else:
            (tmp_path / name).write_text(text)
    fixes, source = find_gps_track(video)
    assert source == expected_source
    assert (fixes == []) is (expected_source == "none")


def test_gps_sources_of_identical_copies_read_the_embedded_track_once(tmp_path, monkeypatch):
    """Identical files (one content) on three cards: one with its sidecar; the others' embedded track is the same
    bytes, so exiftool reads it once for both."""
    import helmetscan.runner.gps as gps

    copies = [tmp_path / card / "20261121_153012_NF.mp4" for card in ("bus12", "bus03", "bus07")]
    for video in copies:
        video.parent.mkdir()
        video.write_bytes(b"same content")
    _write(copies[0].with_name("20261121_153012_N.gps"), track_lines())
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert gps.gps_sources(copies) == {copies[0]: "sidecar:20261121_153012_N.gps", copies[1]: "none",
                                       copies[2]: "none"}
    calls = []
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/exiftool")
    monkeypatch.setattr(gps, "_exiftool_track", lambda video, tool: calls.append(video) or [Fix(T0, 1.0, 2.0, None)])
    assert gps.gps_sources(copies) == {copies[0]: "sidecar:20261121_153012_N.gps", copies[1]: "exiftool",
                                       copies[2]: "exiftool"}
    assert calls == [copies[1]]


EXIF_SAMPLE = {
    "SourceFile": "x.mp4",
    "Main:Duration": 60.0,
    "Doc1:GPSDateTime": "2026:11:21 06:30:12.000Z", "Doc1:GPSLatitude": 37.5665, "Doc1:GPSLongitude": 126.978,
    "Doc1:GPSSpeed": 40.0, "Doc1:GPSSpeedRef": "K",
    "Doc2:GPSDateTime": "2026:11:21 06:30:13Z", "Doc2:GPSLatitude": 37.5666, "Doc2:GPSLongitude": 126.97812,
    "Doc2:GPSSpeed": 25.0, "Doc2:GPSSpeedRef": "M",
    "Doc3:GPSDateTime": "2026:11:21 15:30:14+09:00", "Doc3:GPSLatitude": -33.9, "Doc3:GPSLongitude": -70.6,
    "Doc4:GPSLatitude": 37.0, "Doc4:GPSLongitude": 127.0,  # no time: left out
    "Doc5:GPSDateTime": "garbage", "Doc5:GPSLatitude": 37.0, "Doc5:GPSLongitude": 127.0,
}


def test_fixes_from_exiftool():
    assert fixes_from_exiftool(EXIF_SAMPLE) == [
        Fix(T0, 37.5665, 126.978, 40.0),
        Fix(T0 + timedelta(seconds=1), 37.5666, 126.97812, pytest.approx(25.0 * 1.609344)),
        Fix(T0 + timedelta(seconds=2), -33.9, -70.6, None),
    ]


@pytest.mark.skipif(os.name != "posix", reason="the stand-in exiftool is a shell script")
def test_find_gps_track_runs_exiftool_when_installed(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "exiftool"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps([EXIF_SAMPLE])}\nEOF\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    video = tmp_path / "FILE0001.MP4"
    video.write_bytes(b"")
    fixes, source = find_gps_track(video)
    assert source == "exiftool"
    assert len(fixes) == 3
