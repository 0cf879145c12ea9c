"""deepfake: is this video fake, how sure, and why — the C++ detector from Python.

    import deepfake
    detector = deepfake.Detector()  # the shipped model; or Detector("model.safetensors")
    is_fake, confidence, details = detector.predict_video("clip.mp4")
    print(details["verdict"], f"{confidence:.3f}", details["fake_probability"])
    for is_fake, confidence, details in detector.batch_predict(["a.mp4", "b.mp4"]): ...

A thin layer over serve::Detector (serve/api/detector.h), the same code the `deepfake detect`
CLI runs: same video and checkpoint, same numbers. `details` is the CLI's JSON object for the
video (serve/api/result_schema.json) as plain dicts and lists: verdict, reason, message,
fake_probability, threshold, every face track with its frames' scores and boxes, the video's
and the model's facts, time per stage.

Prediction = (is_fake, confidence, details):
  FAKE          (True,  P(fake),     details)   P(fake) >= threshold
  REAL          (False, 1 - P(fake), details)
  UNDETERMINED  (None,  None,        details)   details["reason"] says why ("no_face",
                                                "unreadable", ...), details["message"] names
                                                the file
`confidence` is the model's probability of the verdict it gives (so it is >= 0.5 at the
default threshold 0.5); P(fake) itself is details["fake_probability"] (the maximum over the
video's face tracks: a video is fake when any tracked face is fake).

The GIL is released while the detector works, so several Python threads may share one
Detector and run in parallel. Loading raises FileNotFoundError (no such model file),
ValueError (not a usable checkpoint, bad options) or RuntimeError, naming the file; a video
that cannot be analysed never raises: it is UNDETERMINED.
"""
import os

from . import _deepfake

__all__ = ["Detector", "DeepfakeDetector", "SCHEMA_VERSION", "set_num_threads",
           "get_num_threads", "shipped_model_path"]

SCHEMA_VERSION = _deepfake.SCHEMA_VERSION
set_num_threads = _deepfake.set_num_threads
get_num_threads = _deepfake.get_num_threads


def shipped_model_path():
    """The model used when none is given: $DEEPFAKE_MODEL when set (it must name a file),
    else the shipped model (models/deepfake_default.safetensors, copied into this package by
    the build; the same file `deepfake detect` uses without --model_path)."""
    env = os.environ.get("DEEPFAKE_MODEL")
    if env:
        if not os.path.isfile(env):
            raise FileNotFoundError(f"DEEPFAKE_MODEL={env}: no such model file")
        return env
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deepfake_default.safetensors")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: the shipped model is missing from this package; "
                                "pass a model path or set DEEPFAKE_MODEL=CHECKPOINT")
    return path


def _prediction(details):
    """(is_fake, confidence, details) from a result dict; see the module's docstring."""
    verdict = details["verdict"]
    if verdict == "UNDETERMINED":
        return None, None, details
    p_fake = details["fake_probability"]
    if verdict == "FAKE":
        return True, p_fake, details
    return False, 1.0 - p_fake, details


class Detector:
    """A checkpoint loaded for detection (native .safetensors, e.g. training's
    best.safetensors or a converted paper checkpoint; preset, preprocessing, labels and
    threshold come from its metadata). model_path None: the shipped model
    (shipped_model_path(): $DEEPFAKE_MODEL, else models/deepfake_default.safetensors).

    device: "cpu", "cuda" or "auto" (CUDA when usable, else the CPU).
    options (keyword only): frames (per video; 0 = the preset's), sampling ("uniform",
    "first", "every"; "" = the preset's), every_k, threshold (P(fake) >= threshold is FAKE;
    None = the checkpoint's), batch_size (face tracks per model call), thumbnail_size
    (face thumbnails' side, 0 = none), landmark_model_path ("" = the installed dlib model).
    """

    def __init__(self, model_path=None, device="auto", **options):
        if model_path is None:
            model_path = shipped_model_path()
        self._impl = _deepfake.Detector(os.fspath(model_path), device, **options)

    def predict_video(self, path):
        """(is_fake, confidence, details) for one video file."""
        return _prediction(self._impl.detect(os.fspath(path)))

    def batch_predict(self, paths, progress=None):
        """[(is_fake, confidence, details), ...] in input order. Decoding and face finding
        of later videos overlap inference of earlier ones. progress(done, total, details)
        is called after each video."""
        results = self._impl.detect_batch([os.fspath(p) for p in paths], progress=progress)
        return [_prediction(details) for details in results]

    def detect(self, path, explain=False, frames=True, thumbnails=False):
        """The full result dict of one video (the CLI's JSON object). explain: Grad-CAM
        heatmaps per track; frames: per-frame entries; thumbnails: face crops as base64 PNG."""
        return self._impl.detect(os.fspath(path), explain=explain, frames=frames,
                                 thumbnails=thumbnails)

    def face_tracks(self, path):
        """The model's input for each face track, exactly as predict_video preprocesses it:
        [{"track_id", "frame_indices", "timestamps", "faces": float32 [T, 3, H, W]}].
        Raises ValueError/RuntimeError (naming the file) when the video has no usable face."""
        return self._impl.face_tracks(os.fspath(path))

    def score_face_tracks(self, tracks):
        """[(P(fake), [per-frame P(fake)]), ...] for float32 arrays [T, 3, H, W]."""
        return self._impl.score_face_tracks(list(tracks))

    @property
    def model(self):
        """The checkpoint's facts: name, path, preset, sha256, device, frames, image_size,
        threshold_method, labels."""
        return self._impl.model

    @property
    def threshold(self):
        """P(fake) at or above which a video is FAKE."""
        return self._impl.threshold

    def __repr__(self):
        m = self.model
        return f"deepfake.Detector({m['path']!r}, preset={m['preset']!r}, device={m['device']!r})"


class DeepfakeDetector(Detector):
    """The seed project's name: DeepfakeDetector(model_path).predict_video(video)."""
