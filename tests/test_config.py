import pytest

from helmetscan.config import Settings, load_settings
from helmetscan.core.errors import ConfigError


def test_precedence_cli_over_file_over_default(tmp_path):
    cfg = tmp_path / "helmetscan.toml"
    cfg.write_text('[sampling]\nfps = 2.0\n[decision]\nmin_no_helmet_frames = 4\n')
    s = load_settings(cfg, {"sampling": {"fps": 10.0}, "decision": {"min_no_helmet_frames": None}})
    assert s.sampling.fps == 10.0  # CLI
    assert s.decision.min_no_helmet_frames == 4  # file
    assert s.plates.upscale_height_px == Settings().plates.upscale_height_px  # default


@pytest.mark.parametrize(
    ("text", "message"),
    [("[sampling]\nfsp = 2\n", "sampling.fsp"), ("[sampling]\nfps = -1\n", "sampling.fps"), ("[sampling\n", "not valid TOML")],
)
def test_bad_config_names_the_key(tmp_path, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)


@pytest.mark.parametrize(("text", "key"), [('fusion = "probability"', "plates.fusion"),
                                           ('reader_confidence = "margin"', "plates.reader_confidence"),
                                           ("reader_beam_width = 0", "plates.reader_beam_width")])
def test_our_reader_decodes_only_by_the_beam_and_fuses_only_by_the_character_vote(tmp_path, text, key):
    cfg = tmp_path / "plates.toml"
    cfg.write_text(f"[plates]\n{text}\n")
    with pytest.raises(ConfigError, match=key):
        load_settings(cfg)


@pytest.mark.parametrize("text", ['fusion = "characters"', 'reader_confidence = "probability"'])
def test_a_removed_setting_says_it_is_gone_even_at_its_old_default(tmp_path, text):
    cfg = tmp_path / "old.toml"
    cfg.write_text(f"[plates]\n{text}\n")
    with pytest.raises(ConfigError, match=r"old.toml: plates\.\w+ is no longer a setting: .*; delete the line$"):
        load_settings(cfg)


def test_the_sections_keep_their_names_and_every_setting_speaks_in_one_line():
    from helmetscan.core.fielddoc import iter_fields

    assert list(Settings.model_fields) == ["weights_dir", "device", "sampling", "detector", "assist", "riders",
                                           "tracking", "verification", "decision", "plates", "evidence", "recording",
                                           "runtime", "export", "report"]
    for name, _, _, description, _ in iter_fields(Settings, sections=False):
        assert description and "\n" not in description, name
        assert "session" not in description.lower() and "../shared" not in description, name


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_roles_of_a_four_class_model_come_from_config(tmp_path):
    cfg = tmp_path / "four.toml"
    cfg.write_text('[detector]\nmodel = "ours.pt"\n[detector.roles]\nrider = ["rider"]\nperson = []\n')
    s = load_settings(cfg)
    assert s.detector.roles.rider == ["rider"] and s.detector.roles.person == []
    assert s.model_path("ours.pt") == s.weights_dir / "ours.pt"


def test_bundled_configs_load_and_name_existing_weights():
    from pathlib import Path

    import helmetscan

    folder = Path(helmetscan.__file__).parent / "configs"
    assert sorted(c.stem for c in folder.glob("*.toml")) == ["coco-yolov12m", "coco-yolov12m-classifier"]
    borrowed = load_settings(folder / "coco-yolov12m.toml")
    assert borrowed.detector.model == "yolov8n-coco.onnx" and borrowed.assist.model == ""
    assert borrowed.verification.heads_from == "stage2" and borrowed.verification.classifier == ""
    assert load_settings(folder / "coco-yolov12m-classifier.toml").verification.classifier == "helmet_cls.pt"
    default = Settings()  # ours: helmet4n + COCO assist, heads from our locator, our classifier
    assert (default.detector.model, default.assist.model, default.verification.heads_from,
            default.verification.locator, default.verification.classifier) == (
        "helmet4n.onnx", "yolov8n-coco-416-int8.onnx", "locator", "head_locator.onnx", "helmet_cls.pt")
    repository_weights = Path(helmetscan.__file__).parent.parent / "weights"
    for name in ("helmet4n.pt", "helmet4n.onnx", "head_locator.onnx", "helmet_cls.pt"):  # ours: in weights/
        assert (repository_weights / name).is_file()

@pytest.mark.parametrize(("text", "message"), [
    ("[sampling]\nfsp = 2\n", "bad.toml: invalid settings (sampling.fsp: not a setting (did you mean sampling.fps?))"),
    ("[platez]\nformats = []\n", "bad.toml: invalid settings (platez: not a setting (did you mean plates?))"),
    ("devise = 'cpu'\n", "bad.toml: invalid settings (devise: not a setting (did you mean device?))"),
    ("[detector.roles]\nridr = []\n", "(detector.roles.ridr: not a setting (did you mean detector.roles.rider?))"),
    ("[sampling]\nqqqq = 1\n", "(sampling.qqqq: not a setting ([sampling] has: fps))"),
])
def test_an_unknown_key_gets_the_nearest_setting(tmp_path, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert str(caught.value).endswith(message) and "\n" not in str(caught.value)
    assert "Extra inputs" not in str(caught.value)
