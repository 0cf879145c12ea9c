#!/usr/bin/python3
"""The shipped model as a user meets it: models/deepfake_default.safetensors is the file its
card (models/README.md) describes (same sha256), `deepfake detect` finds it through runfiles
with no --model_path, and the sample clips get the verdicts and P(fake) the card reports, from
the CLI and from the Python module's Detector() (which defaults to the same file).

Args: DEEPFAKE_BINARY PYTHON_PKG_DIR MODEL CARD LANDMARKS SAMPLE... (runfiles paths)."""
import hashlib
import os
import re
import subprocess
import sys
import unittest

BINARY, PKG, MODEL, CARD, LANDMARKS = sys.argv[1:6]
SAMPLES = sys.argv[6:]


def card_text():
    with open(CARD) as f:
        return f.read()


def card_samples():
    """{"fake.mp4": ("FAKE", 0.9123), ...} from the card's sample table rows
    `| samples/fake.mp4 | FAKE | 0.9123 |`."""
    rows = re.findall(r"^\|\s*`?samples/(\w+\.mp4)`?\s*\|\s*(FAKE|REAL)\s*\|\s*([0-9.]+)\s*\|",
                      card_text(), re.M)
    return {name: (verdict, float(p)) for name, verdict, p in rows}


class ShippedModelTest(unittest.TestCase):
    def test_checkpoint_is_the_one_the_card_describes(self):
        with open(MODEL, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        stated = re.findall(r"sha256[^`\n]*`([0-9a-f]{64})`", card_text())
        self.assertTrue(stated, "models/README.md states no sha256 (`...` after 'sha256')")
        self.assertEqual(stated[0], digest, "the model file changed: update its card")

    def test_detect_finds_the_shipped_model_and_gives_the_cards_verdicts(self):
        expected = card_samples()
        self.assertEqual(sorted(expected), sorted(os.path.basename(s) for s in SAMPLES),
                         "the card's sample table must list every sample clip")
        env = dict(os.environ)
        env.pop("DEEPFAKE_MODEL", None)
        for sample in SAMPLES:
            verdict, p_fake = expected[os.path.basename(sample)]
            run = subprocess.run([BINARY, "detect", "--video_path", sample, "--threads", "2"],
                                 capture_output=True, text=True, env=env)
            self.assertIn("models/deepfake_default.safetensors", run.stderr)
            self.assertEqual(run.returncode, 1 if verdict == "FAKE" else 0, run.stdout + run.stderr)
            m = re.match(r"(FAKE|REAL)\s+P\(fake\) ([0-9.]+)", run.stdout)
            self.assertIsNotNone(m, run.stdout)
            self.assertEqual(m.group(1), verdict, sample)
            self.assertAlmostEqual(float(m.group(2)), p_fake, delta=2e-3, msg=sample)

    def test_python_module_defaults_to_the_shipped_model(self):
        sys.path.insert(0, PKG)
        os.environ.pop("DEEPFAKE_MODEL", None)
        import deepfake  # pylint: disable=import-outside-toplevel
        detector = deepfake.Detector(device="cpu", landmark_model_path=LANDMARKS)
        with open(MODEL, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(detector.model["sha256"], digest)
        expected = card_samples()
        for sample in SAMPLES:
            is_fake, _, details = detector.predict_video(sample)
            verdict, p_fake = expected[os.path.basename(sample)]
            self.assertEqual(details["verdict"], verdict, sample)
            self.assertEqual(is_fake, verdict == "FAKE")
            self.assertAlmostEqual(details["fake_probability"], p_fake, delta=2e-3, msg=sample)
        os.environ["DEEPFAKE_MODEL"] = "/nonexistent/model.safetensors"
        with self.assertRaisesRegex(FileNotFoundError, "DEEPFAKE_MODEL=/nonexistent"):
            deepfake.Detector()
        del os.environ["DEEPFAKE_MODEL"]


if __name__ == "__main__":
    sys.path.insert(0, os.path.abspath("serve/python/testing"))
    import sanitizers  # pylint: disable=import-error
    sanitizers.reexec_if_needed(os.path.join(PKG, "deepfake", "_deepfake.so"))
    unittest.main(argv=[sys.argv[0]], verbosity=2)
