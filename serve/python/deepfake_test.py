#!/usr/bin/python3
"""The `deepfake` Python module as a user imports it (bazel-bin/serve/python/pkg), with
Debian's /usr/bin/python3: predictions on the fixture clips with a random-weight `tiny`
checkpoint, UNDETERMINED videos, load errors, batches, and Python threads running at once
(the GIL is released while the detector works).

Args (from BUILD): WRITE_TEST_FILES LANDMARK_MODEL REAL_CLIP FAKE_CLIP
"""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.abspath("serve/python/testing"))
import sanitizers  # noqa: E402

sanitizers.reexec_if_needed("serve/python/pkg/deepfake/_deepfake.so")
sys.path.insert(0, os.path.abspath("serve/python/pkg"))
import deepfake  # noqa: E402

WRITE_TEST_FILES, LANDMARKS, REAL_CLIP, FAKE_CLIP = sys.argv[1:5]
TMP = os.environ["TEST_TMPDIR"]


def run_tool(*args):
    import subprocess
    subprocess.run([WRITE_TEST_FILES, *args], check=True)


def setUpModule():
    global MODEL, PATTERN_CLIP, BROKEN_CLIP
    MODEL = os.path.join(TMP, "tiny.safetensors")
    run_tool("checkpoint", "tiny", MODEL, "7")
    PATTERN_CLIP = os.path.join(TMP, "pattern.mp4")
    run_tool("pattern_clip", PATTERN_CLIP)
    BROKEN_CLIP = os.path.join(TMP, "broken.mp4")
    with open(BROKEN_CLIP, "w") as f:
        f.write("this is not a video\n")


def load(**options):
    return deepfake.Detector(MODEL, device="cpu", landmark_model_path=LANDMARKS, **options)


class PredictTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.detector = load()

    def test_predict_video_gives_verdict_confidence_and_details(self):
        is_fake, confidence, details = self.detector.predict_video(REAL_CLIP)
        p = details["fake_probability"]
        self.assertIsInstance(is_fake, bool)
        self.assertEqual(details["verdict"], "FAKE" if p >= 0.5 else "REAL")
        self.assertEqual(is_fake, p >= 0.5)
        self.assertEqual(confidence, p if is_fake else 1.0 - p)
        self.assertGreaterEqual(confidence, 0.5)
        self.assertEqual(details["path"], REAL_CLIP)
        self.assertEqual(details["schema_version"], deepfake.SCHEMA_VERSION)
        self.assertEqual(details["threshold"], 0.5)
        self.assertEqual(details["model"]["preset"], "tiny")
        self.assertGreaterEqual(len(details["tracks"]), 1)
        # The video's P(fake) is the maximum over its face tracks.
        self.assertEqual(p, max(t["fake_probability"] for t in details["tracks"]))

    def test_probability_equals_scoring_the_face_tracks(self):
        _, _, details = self.detector.predict_video(FAKE_CLIP)
        tracks = self.detector.face_tracks(FAKE_CLIP)
        self.assertEqual(len(tracks), len(details["tracks"]))
        for track in tracks:
            self.assertEqual(track["faces"].shape, (4, 3, 32, 32))
            self.assertEqual(str(track["faces"].dtype), "float32")
        scores = self.detector.score_face_tracks([t["faces"] for t in tracks])
        self.assertEqual(details["fake_probability"], max(p for p, _ in scores))
        for (p, frame_scores), track in zip(scores, details["tracks"]):
            self.assertEqual(p, track["fake_probability"])
        with self.assertRaisesRegex(ValueError, r"face track of shape \[4, 3, 16, 16\]"):
            self.detector.score_face_tracks([tracks[0]["faces"][:, :, :16, :16]])

    def test_detect_with_explanations_and_thumbnails(self):
        plain = self.detector.detect(FAKE_CLIP)
        self.assertNotIn("heatmaps", plain["tracks"][0])
        self.assertNotIn("thumbnails", plain["tracks"][0])
        details = self.detector.detect(FAKE_CLIP, explain=True, thumbnails=True)
        self.assertEqual(details["fake_probability"], plain["fake_probability"])
        track = details["tracks"][0]
        self.assertEqual(len(track["heatmaps"]), 4)
        self.assertEqual(len(track["thumbnails"]), 4)
        self.assertTrue(track["thumbnails"][0].startswith("data:image/png;base64,"))
        heatmap = track["heatmaps"][0]
        self.assertEqual(len(heatmap["values"]), heatmap["width"] * heatmap["height"])
        self.assertTrue(all(0 <= v <= 1 for v in heatmap["values"]))
        self.assertTrue(heatmap["overlay"].startswith("data:image/png;base64,"))
        self.assertNotIn("frames", self.detector.detect(FAKE_CLIP, frames=False)["tracks"][0])

    def test_threshold_option_decides_the_verdict(self):
        _, _, details = self.detector.predict_video(REAL_CLIP)
        p = details["fake_probability"]
        self.assertEqual(load(threshold=0.0).predict_video(REAL_CLIP)[:2], (True, p))
        self.assertEqual(load(threshold=1.0).predict_video(REAL_CLIP)[:2], (False, 1.0 - p))

    def test_seed_name_is_an_alias(self):
        detector = deepfake.DeepfakeDetector(MODEL, device="cpu", landmark_model_path=LANDMARKS)
        self.assertEqual(detector.predict_video(REAL_CLIP)[2]["fake_probability"],
                         self.detector.predict_video(REAL_CLIP)[2]["fake_probability"])
        self.assertEqual(detector.model["preset"], "tiny")
        self.assertEqual(detector.model["labels"], ["REAL", "FAKE"])
        self.assertEqual(detector.model["device"], "cpu")
        self.assertEqual(detector.threshold, 0.5)

    def test_faceless_video_is_undetermined_with_its_reason(self):
        is_fake, confidence, details = self.detector.predict_video(PATTERN_CLIP)
        self.assertIsNone(is_fake)
        self.assertIsNone(confidence)
        self.assertEqual(details["verdict"], "UNDETERMINED")
        self.assertEqual(details["reason"], "no_face")
        self.assertIn(PATTERN_CLIP, details["message"])
        self.assertEqual(details["tracks"], [])
        with self.assertRaisesRegex(ValueError, "pattern.mp4: no face found"):
            self.detector.face_tracks(PATTERN_CLIP)

    def test_unreadable_file_is_undetermined(self):
        is_fake, confidence, details = self.detector.predict_video(BROKEN_CLIP)
        self.assertEqual((is_fake, confidence), (None, None))
        self.assertEqual(details["reason"], "unreadable")
        self.assertIn(BROKEN_CLIP, details["message"])

    def test_batch_predict_in_input_order_equal_to_single_predictions(self):
        paths = [REAL_CLIP, BROKEN_CLIP, FAKE_CLIP]
        seen = []
        results = self.detector.batch_predict(
            paths, progress=lambda done, total, d: seen.append((done, total, d["path"])))
        self.assertEqual([d["path"] for _, _, d in results], paths)
        self.assertEqual(results[1][:2], (None, None))
        for path, (is_fake, confidence, details) in zip(paths, results):
            single = self.detector.predict_video(path)
            self.assertEqual((is_fake, confidence), single[:2])
            self.assertEqual(details["fake_probability"], single[2]["fake_probability"])
        self.assertEqual(sorted(done for done, _, _ in seen), [1, 2, 3])
        self.assertEqual({total for _, total, _ in seen}, {3})
        self.assertEqual(sorted(p for _, _, p in seen), sorted(paths))

    def test_an_exception_in_progress_is_raised_after_the_batch(self):
        def progress(done, total, details):
            raise KeyError("stop")
        with self.assertRaises(KeyError):
            self.detector.batch_predict([REAL_CLIP], progress=progress)


class LoadErrorTest(unittest.TestCase):
    def test_missing_file(self):
        missing = os.path.join(TMP, "no_such_model.safetensors")
        with self.assertRaises(FileNotFoundError) as e:
            deepfake.Detector(missing)
        self.assertIn(missing, str(e.exception))

    def test_not_a_checkpoint(self):
        with self.assertRaises(ValueError) as e:
            deepfake.Detector(BROKEN_CLIP)
        self.assertIn(BROKEN_CLIP, str(e.exception))

    def test_truncated_checkpoint(self):
        truncated = os.path.join(TMP, "truncated.safetensors")
        with open(MODEL, "rb") as f:
            data = f.read()
        with open(truncated, "wb") as f:
            f.write(data[: len(data) // 2])
        with self.assertRaises(ValueError) as e:
            deepfake.Detector(truncated)
        self.assertIn(truncated, str(e.exception))

    def test_bad_options(self):
        with self.assertRaisesRegex(ValueError, "tpu"):
            deepfake.Detector(MODEL, device="tpu")
        with self.assertRaisesRegex(ValueError, r"threshold must be a probability in \[0, 1\]"):
            deepfake.Detector(MODEL, threshold=1.5)
        with self.assertRaises(TypeError):
            deepfake.Detector(MODEL, no_such_option=1)
        with self.assertRaisesRegex(ValueError, "num_threads must be >= 1"):
            deepfake.set_num_threads(0)


class ThreadsTest(unittest.TestCase):
    def test_python_threads_run_while_the_detector_works(self):
        """A thread inside predict_video must not hold the GIL: the main thread keeps
        running Python meanwhile (with the GIL held it would stall for the whole call)."""
        detector = load()
        expected = detector.predict_video(FAKE_CLIP)[2]["fake_probability"]
        calls = []  # (start, end, probability) per call of the worker threads

        def worker():
            for _ in range(2):
                start = time.monotonic()
                p = detector.predict_video(FAKE_CLIP)[2]["fake_probability"]
                calls.append((start, time.monotonic(), p))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        ticks = []
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            ticks.append(time.monotonic())
            time.sleep(0.001)  # gives the GIL up; taking it back needs the workers to let go
        for t in threads:
            t.join()

        self.assertEqual(len(calls), 4)
        self.assertEqual({p for _, _, p in calls}, {expected})  # results do not depend on it
        for start, end, _ in calls:
            inside = [t for t in ticks if start < t < end]
            # The main thread ticked all through the call: no gap longer than half of it
            # (with the GIL held the gap would be the whole call).
            self.assertGreater(len(inside), 5, (start, end))
            edges = [start] + inside + [end]
            longest_gap = max(b - a for a, b in zip(edges, edges[1:]))
            self.assertLess(longest_gap, (end - start) / 2, (start, end, longest_gap))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
