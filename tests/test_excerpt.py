"""Clip excerpts: copied packets of the original, with their place in it."""

import cv2
import pytest

from conftest import FOOTAGE, needs_footage, write_video
from helmetscan.results.excerpt import ExcerptError, cut_excerpt


def frames_in(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    return n


def test_an_excerpt_of_an_all_keyframe_clip_is_exact(tmp_path):
    clip = write_video(tmp_path / "clip.avi", n_frames=50, fps=10, size=(160, 120), fourcc="MJPG")
    cut = cut_excerpt(clip, tmp_path / "excerpt.avi", 1.0, 2.0)
    assert (cut.start_s, cut.end_s, cut.packets) == (1.0, 2.1, 11)  # frames 10..20, the last lasting 0.1 s
    assert frames_in(cut.path) == 11


def test_an_excerpt_is_clamped_to_the_file(tmp_path):
    clip = write_video(tmp_path / "clip.avi", n_frames=30, fps=10, size=(160, 120), fourcc="MJPG")
    cut = cut_excerpt(clip, tmp_path / "excerpt.avi", -10.0, 100.0)
    assert (cut.start_s, cut.packets) == (0.0, 30) and cut.end_s == pytest.approx(3.0)


def test_nothing_in_range_or_no_video_is_one_clear_error(tmp_path):
    clip = write_video(tmp_path / "clip.avi", n_frames=10, fps=10, size=(160, 120), fourcc="MJPG")
    with pytest.raises(ExcerptError, match="no frames between"):
        cut_excerpt(clip, tmp_path / "e.avi", 50.0, 60.0)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    with pytest.raises(ExcerptError, match="junk.mp4: cannot cut an excerpt"):
        cut_excerpt(junk, tmp_path / "e.mp4", 0.0, 1.0)
    assert not list(tmp_path.glob(".*tmp*"))  # no half-written file left


@needs_footage
def test_an_excerpt_of_real_h264_starts_on_the_keyframe_before_and_decodes(tmp_path):
    cut = cut_excerpt(FOOTAGE, tmp_path / "excerpt.mp4", 0.5, 1.5)
    assert cut.start_s <= 0.5 and 1.4 <= cut.end_s <= 1.6
    assert frames_in(cut.path) == cut.packets >= 30
