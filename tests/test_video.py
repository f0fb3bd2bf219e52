
import pytest

from helmetscan.core.errors import VideoError
from helmetscan.pipeline.sampling import (
    ENDS_EARLY_MIN_S, ENDS_EARLY_SHARE, DecodeStats, ends_early, iter_sampled_frames, open_video, sample_times,
)
from helmetscan.runner.discovery import find_videos

from conftest import BIKES, CCTV_CLIP, FOOTAGE, needs_bikes, needs_cctv_clip, needs_footage, write_video


@pytest.mark.parametrize(
    ("timestamps", "fps", "expected"),
    [
        ([i / 30 for i in range(31)], 5, [0, 6, 12, 18, 24, 30]),
        ([i / 25 for i in range(26)], 5, [0, 5, 10, 15, 20, 25]),
        ([i / 29.97 for i in range(31)], 10, list(range(0, 31, 3))),
        ([i / 10 for i in range(5)], 30, [0, 1, 2, 3, 4]),  # target above source rate: every frame
        ([0.0, 0.1, 0.2, 1.0, 1.1, 1.2], 5, [0, 2, 3, 5]),  # a gap does not cause a burst
        ([], 5, []),
    ],
)
def test_sample_times(timestamps, fps, expected):
    assert sample_times(timestamps, fps) == expected


def test_sampling_a_generated_video_uses_stream_timestamps(tmp_path):
    path = write_video(tmp_path / "clip.avi", n_frames=50, fps=25, fourcc="MJPG")
    cap, info = open_video(path)
    cap.release()
    assert info.fps == pytest.approx(25)
    assert info.frame_count == 50
    assert info.duration_s == pytest.approx(2.0)
    stats = DecodeStats()
    frames = list(iter_sampled_frames(path, 5, stats))
    assert [f.frame_index for f in frames] == list(range(0, 50, 5))
    assert [f.timestamp_s for f in frames] == pytest.approx([i * 0.2 for i in range(10)], abs=1e-3)
    assert (stats.frames_decoded, stats.frames_sampled) == (50, 10)
    # the kept frame really is frame i: its grey level encodes the index
    assert [int(f.image.mean() + 0.5) for f in frames] == pytest.approx([i * 5 for i in range(0, 50, 5)], abs=3)


def test_not_a_video_raises_one_line_error(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="notes.mp4: cannot open as a video: corrupt"):
        list(iter_sampled_frames(bogus, 5))


def test_find_videos_is_recursive_and_case_insensitive(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "X.MP4").write_bytes(b"")
    (tmp_path / "a" / "y.mov").write_bytes(b"")
    (tmp_path / "a" / "readme.txt").write_text("")
    videos, ignored, left_out = find_videos([tmp_path, tmp_path / "a" / "y.mov"])
    assert left_out == {}
    assert sorted(p.name for p in videos) == ["X.MP4", "y.mov"]  # named twice, listed once
    assert [p.name for p in ignored] == ["readme.txt"]
    with pytest.raises(VideoError, match="no such file"):
        find_videos([tmp_path / "missing.mp4"])


def decode_all(path):
    cap, info = open_video(path)
    cap.release()
    stats = DecodeStats()
    for _ in iter_sampled_frames(path, 1000.0, stats):
        pass
    return info, stats


@pytest.mark.parametrize(("declared", "decoded", "early"), [
    (2.209375, 2.2, False),  # the film clip: complete, 66 of the 96 frames its MP4 declares (an edit list)
    (20.467, 20.467, False),
    (20.467, 0.067, True),  # the tester's file: 1 of 307 frames
    (100.0, 100.0 * ENDS_EARLY_SHARE + 0.01, False), (100.0, 100.0 * ENDS_EARLY_SHARE - 0.01, True),
    (3.0, 3.0 - ENDS_EARLY_MIN_S + 0.01, False), (3.0, 3.0 - ENDS_EARLY_MIN_S - 0.01, True),
    (0.0, 0.0, False),  # nothing declared: nothing to fall short of
])
def test_ends_early_thresholds(declared, decoded, early):
    assert ends_early(declared, decoded) is early


@pytest.mark.parametrize(("n_frames", "fps", "fourcc", "suffix"), [
    (307, 15, "MJPG", ".avi"), (60, 30, "XVID", ".avi"), (101, 29.97, "mp4v", ".mp4"),
])
def test_a_complete_file_does_not_end_early_and_one_cut_short_does(tmp_path, n_frames, fps, fourcc, suffix):
    whole = write_video(tmp_path / f"whole{suffix}", n_frames=n_frames, fps=fps, size=(320, 240), fourcc=fourcc)
    info, stats = decode_all(whole)
    assert stats.frames_decoded == n_frames and info.duration_s == pytest.approx(n_frames / fps, abs=1e-3)
    assert stats.decoded_s(info.fps) == pytest.approx(info.duration_s, abs=1e-3)
    assert not ends_early(info.duration_s, stats.decoded_s(info.fps))
    if suffix == ".mp4":
        return  # an MP4 written by OpenCV keeps its index at the end: cut short, it does not open at all
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    info, stats = decode_all(cut)
    assert info.duration_s == pytest.approx(n_frames / fps, abs=1e-3)  # the AVI header's count, not what is left
    assert stats.frames_decoded < n_frames and ends_early(info.duration_s, stats.decoded_s(info.fps))


@needs_footage
def test_the_film_clip_declares_its_edit_listed_length_and_is_complete():
    """Its MP4 declares 96 frames, of which an edit list shows 66: 2.209 s, what its frames cover."""
    info, stats = decode_all(FOOTAGE)
    assert (info.frame_count, stats.frames_decoded) == (96, 66)
    assert info.duration_s == pytest.approx(2.209, abs=1e-3)
    assert stats.decoded_s(info.fps) == pytest.approx(2.2, abs=0.01)
    assert not ends_early(info.duration_s, stats.decoded_s(info.fps))


@needs_cctv_clip
@needs_bikes
def test_real_clips_are_complete_and_a_faststart_mp4_cut_short_ends_early(tmp_path):
    clip = CCTV_CLIP / "helmet9_cctv_india_15fps.mp4"
    for path in (clip, BIKES):
        info, stats = decode_all(path)
        assert not ends_early(info.duration_s, stats.decoded_s(info.fps)), path
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 98 // 100])  # 2 % of its bytes gone: 10 of its 307 frames
    info, stats = decode_all(cut)
    assert info.duration_s == pytest.approx(20.467, abs=1e-3) and stats.frames_decoded < 307
    assert ends_early(info.duration_s, stats.decoded_s(info.fps))
