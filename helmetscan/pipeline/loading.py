"""Build the configured models of a run, and fail before the first video when they cannot do their job.

Checked here, once, before any video is opened: the device string names a device this machine has; every weight file
exists and a pinned one has its pinned SHA-256; every model's class names cover the roles its stage uses (a stage-1
model must yield riders, the helmet check both head states, a plate detector plates).
"""

from __future__ import annotations

from dataclasses import dataclass

from helmetscan.config import DetectorRoles, Settings
from helmetscan.core.errors import ConfigError
from helmetscan.core.detections import Detector, TextRecognizer
from helmetscan.weights.registry import checked_sha256, read_manifest


#: Inference size of the plate detector on a whole evidence frame (privacy blur): plates of other vehicles are small
#: there. On the helmet9 clip's evidence frame (1024 px) it found 1 plate at 480 px, 3 at 640 and 4 at 960.
FRAME_PLATE_IMGSZ = 960


@dataclass(frozen=True)
class Models:
    """The models of one run and the SHA-256 of each weight file (file name → hex digest), for the records.
    ``head_detector`` (the stage-2 head detector) is ``None`` when heads come from stage 1; ``head_classifier`` is ``None``
    when the head boxes' own classes decide (:func:`build_helmet_check`); ``face_detector`` is ``None`` without the
    privacy blur (``evidence.privacy_blur``), as is ``frame_plate_detector`` (the plate detector at
    :data:`FRAME_PLATE_IMGSZ` for other vehicles' plates on the whole evidence frame)."""

    detector: Detector
    head_detector: Detector | None
    plate_detector: Detector
    recognizer: TextRecognizer
    sha256: dict[str, str]
    head_classifier: object | None = None
    face_detector: Detector | None = None
    frame_plate_detector: Detector | None = None


def check_device(device: str) -> None:
    """Fail unless torch can use ``device`` on this machine.

    Raises:
        ConfigError: CUDA or MPS asked for but not available, or a GPU index this machine does not have.
    """
    import torch

    name = f"cuda:{device.split(',')[0]}" if device[:1].isdigit() else device
    kind, _, index = name.partition(":")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {device!r}: CUDA is not available on this machine (use --device cpu)")
        if index and int(index) >= torch.cuda.device_count():
            raise ConfigError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r}: MPS is not available on this machine (use --device cpu)")


def _lower(names) -> set[str]:
    return {n.lower() for n in names}


def check_classes(stage: str, model: str, names: dict[int, str], needs: dict[str, list[str]]) -> None:
    """Fail unless the model's class ``names`` hold at least one name of every role in ``needs``.

    Args:
        stage: the stage, for the message (``stage 1``).
        model: the weight file, for the message.
        names: class id → name, as the model declares them.
        needs: role (setting key) → the class names configured for it.

    Raises:
        ConfigError: names the model, its classes and the role none of them fills.
    """
    have = _lower(names.values())
    for role, wanted in needs.items():
        if not have & _lower(wanted):
            raise ConfigError(
                f"{model}: {stage} model has classes {sorted(have)}, none of which is in {role} {wanted}; "
                f"set {role} in the settings to this model's class names"
            )


def check_detector_roles(model: str, names: dict[int, str], roles: DetectorRoles, confirm_rider_boxes: bool = False
                         ) -> None:
    """A stage-1 model yields riders: it has a ``rider`` class, or both a ``person`` and a ``motorcycle`` class; rider
    boxes confirmed by motorcycles (``riders.confirm_rider_boxes``) need a motorcycle class too.

    Raises:
        ConfigError: it has neither, or rider boxes are to be confirmed and no class is a motorcycle.
    """
    if _lower(names.values()) & _lower(roles.rider):
        if confirm_rider_boxes:
            check_classes("stage-1", model, names, {"detector.roles.motorcycle (riders.confirm_rider_boxes; set it "
                                                    "false without an assist model)": roles.motorcycle})
        return
    check_classes("stage-1", model, names, {"detector.roles.person": roles.person,
                                            "detector.roles.motorcycle": roles.motorcycle})


def build_recognizer(settings: Settings, name: str, manifest=None) -> tuple[TextRecognizer, dict[str, str]]:
    """The plate recogniser ``name`` (``helmetscan``, ``easyocr`` or ``tesseract``) and the SHA-256 of the weight
    files it loads (file name → hex digest; empty for Tesseract, whose models are a Debian package).

    Raises:
        ConfigError: ``name`` is not a known recogniser.
        WeightsError: its weight file is missing or corrupt, or Tesseract is not installed.
    """
    s = settings
    manifest = manifest or read_manifest()
    if name == "helmetscan":
        from helmetscan.plates.recognizer import PlateRecognizer

        path = s.model_path(s.plates.reader_model)
        digest = checked_sha256(path, s.weights_dir, manifest)
        return (PlateRecognizer(path, views=s.plates.reader_views, beam_width=s.plates.reader_beam_width,
                                formats=s.plates.plate_formats()),
                {path.name: digest})
    if name == "easyocr":
        from helmetscan.plates.easyocr_reader import EasyOcrRecognizer

        sha256 = {}
        for entry in manifest.weights:  # EasyOCR picks its files itself: check those we pin that are there
            if entry.name.startswith("easyocr/") and (s.weights_dir / entry.name).is_file():
                sha256[entry.name] = checked_sha256(s.weights_dir / entry.name, s.weights_dir, manifest)
        return EasyOcrRecognizer(s.weights_dir / "easyocr", s.plates.ocr_languages, s.plates.allowlist,
                                 s.plates.two_row_max_aspect, gpu=s.device.startswith("cuda")), sha256
    if name == "tesseract":
        from helmetscan.plates.tesseract_reader import TesseractRecognizer

        return TesseractRecognizer("kor+eng", s.plates.two_row_max_aspect), {}
    raise ConfigError(f"unknown plate recognizer {name!r}; one of helmetscan, easyocr, tesseract")


def build_stage1(settings: Settings) -> Detector:
    """Stage 1: the ``detector`` model, joined by the ``assist`` model when one is set
    (:class:`~helmetscan.inference.ensemble.DetectorEnsemble`).

    Raises:
        WeightsError: a weight file is missing or cannot be loaded.
    """
    from helmetscan.inference.yolo import build_detector

    detector = build_detector(settings.detector, settings)
    if not settings.assist.model:
        return detector
    from helmetscan.inference.ensemble import DetectorEnsemble

    return DetectorEnsemble([detector, build_detector(settings.assist, settings)])


def build_helmet_check(settings: Settings, stage1_names: dict[int, str] | None = None):
    """Stage 2's models: ``(head detector or None, head classifier or None)``.

    The head detector is ``verification.model`` (``heads_from = "stage2"``) or the head locator
    ``verification.locator`` (``"locator"``, an ONNX export whose every box is a head), run on motorcycle crops; with
    ``"stage1"`` there is none and the stage-1 model (class names ``stage1_names``) must have the head classes instead. The head
    classifier is ``verification.classifier`` when set (:class:`~helmetscan.inference.head_classifier.HeadClassifier`).

    Raises:
        ConfigError: the model that gives the heads, or the classifier, has no class of one of the head roles; heads
            come from stage 1 while nothing says which classes stage 1 has; or from the locator without a classifier.
        WeightsError: a weight file is missing or cannot be loaded.
    """
    from helmetscan.inference.yolo import build_detector

    s = settings.verification
    needs = {"verification.roles.head_with_helmet": s.roles.head_with_helmet,
             "verification.roles.head_without_helmet": s.roles.head_without_helmet}
    detector = None
    if s.heads_from == "stage1":
        if stage1_names is None:
            raise ConfigError("verification.heads_from = stage1 needs the stage-1 model's class names")
        check_classes("stage-1", settings.detector.model, stage1_names, needs)
    elif s.heads_from == "locator":
        if not s.classifier:
            raise ConfigError("verification.heads_from = locator needs verification.classifier: the locator finds "
                              "heads, the classifier judges them")
        from helmetscan.inference.onnx_yolo import OnnxYoloDetector

        detector = OnnxYoloDetector(settings.model_path(s.locator), s.locator_conf, s.iou,
                                    settings.runtime.model_threads(), True, s.locator_imgsz)
    else:
        detector = build_detector(s, settings)
        check_classes("stage-2", s.model, detector.names, needs)
    classifier = None
    if s.classifier:
        from helmetscan.inference.head_classifier import HeadClassifier

        classifier = HeadClassifier(settings.model_path(s.classifier), device=settings.device)
        check_classes("head classifier", s.classifier, classifier.names, needs)
    return detector, classifier


def set_threads(threads: int) -> None:
    """Give torch ``threads`` intra-op threads, and keep ultralytics from putting it back: its ``select_device``
    (run when each model first predicts) calls ``torch.set_num_threads(NUM_THREADS)`` with ``NUM_THREADS = cpu_count
    - 1`` (1 on a 2-core machine), a setting meant for its training data loaders."""
    import torch
    import ultralytics.utils.torch_utils as torch_utils

    torch.set_num_threads(threads)
    torch_utils.NUM_THREADS = threads


def model_hashes(settings: Settings, manifest=None) -> dict[str, str]:
    """The SHA-256 of every weight file the settings' models load (file name → hex digest), checked, without loading
    any model: what decides, with the settings, whether a video's results are current (cheap: no torch import).

    Raises:
        WeightsError: a weight file is missing, or a pinned one has another SHA-256.
    """
    s = settings
    manifest = manifest or read_manifest()
    stage2 = {"stage2": s.verification.model, "locator": s.verification.locator}.get(s.verification.heads_from, "")
    names = [s.detector.model, s.assist.model, stage2, s.verification.classifier, s.plates.model]
    if s.plates.recognizer == "helmetscan":
        names.append(s.plates.reader_model)
    if s.evidence.privacy_blur:
        names.append(s.evidence.face_model)
    sha256 = {}
    for name in filter(None, names):
        path = s.model_path(name)
        sha256[path.name] = checked_sha256(path, s.weights_dir, manifest)
    if s.plates.recognizer == "easyocr":
        for entry in manifest.weights:  # EasyOCR picks its files itself: those we pin that are there
            if entry.name.startswith("easyocr/") and (s.weights_dir / entry.name).is_file():
                sha256[entry.name] = checked_sha256(s.weights_dir / entry.name, s.weights_dir, manifest)
    return sha256


def load_models(settings: Settings) -> Models:
    """Load the YOLO detectors and the plate recogniser the settings name, after checking device, weight hashes and
    class roles.

    Raises:
        ConfigError: the device is not available here, or a model's classes do not fit its stage's roles (exit 2).
        WeightsError: a weight file is missing, corrupt (hash), or cannot be loaded.
    """
    from helmetscan.inference.yolo import build_detector

    s = settings
    check_device(s.device)
    set_threads(s.runtime.model_threads())
    manifest = read_manifest()
    sha256 = model_hashes(s, manifest)
    detector = build_stage1(s)
    check_detector_roles(s.detector.model, detector.names, s.detector.roles, s.riders.confirm_rider_boxes)
    head_detector, head_classifier = build_helmet_check(s, detector.names)
    plate_detector = build_detector(s.plates, s)
    check_classes("plate", s.plates.model, plate_detector.names, {"plates.roles.plate": s.plates.roles.plate})
    recognizer, _ = build_recognizer(s, s.plates.recognizer, manifest)
    face_detector = None
    if s.evidence.privacy_blur:
        from helmetscan.inference.yolo import YoloDetector

        path = s.model_path(s.evidence.face_model)
        face_detector = YoloDetector(path, 640, s.evidence.face_conf, 0.5, s.device)
        frame_plates = YoloDetector(s.model_path(s.plates.model), FRAME_PLATE_IMGSZ, s.plates.conf, s.plates.iou,
                                    s.device)
    return Models(detector, head_detector, plate_detector, recognizer, sha256, head_classifier, face_detector,
                  frame_plates if s.evidence.privacy_blur else None)


def build_crop_reader(settings: Settings, recognizer: str | None = None):
    """A :class:`~helmetscan.plates.read.CropReader` for the recogniser named (default: the settings') and the plates
    settings it reads with (``plates.recognizer`` set to it, so its own confidence floors apply).

    Raises:
        ConfigError: an unknown recogniser.
        WeightsError: its weight file is missing or corrupt.
    """
    from helmetscan.plates.read import CropReader

    plates = settings.plates.model_copy(update={"recognizer": recognizer or settings.plates.recognizer})
    model, _ = build_recognizer(settings, plates.recognizer)
    return CropReader(model, plates), plates


def build_photo_plate_detector(plates, settings: Settings) -> Detector:
    """The plate detector for whole photos and frames (``plate --find``, ``evaluate-plates --find``): the plates
    section's detector at ``plates.photo_imgsz``.

    Raises:
        WeightsError: the detector's weights are missing or corrupt.
    """
    from helmetscan.inference.yolo import build_detector

    return build_detector(plates.model_copy(update={"imgsz": plates.photo_imgsz}), settings)
