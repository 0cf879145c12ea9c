#!/usr/bin/python3
"""Golden detection parity: one video, one checkpoint, every surface, the same numbers.

A PyTorch model of the preset (tools/pytorch_ref/models.py) with deterministic pseudo-random
weights (deterministic.fill_module) is saved as a PyTorch state_dict and converted with
//tools:convert_weights into a native checkpoint. Then, on the same videos:
  - the C++ API (tests/golden_detect_api: serve::Detector::Detect, ResultToJson),
  - the CLI (`deepfake detect --output_file x.json`),
  - the Python module (deepfake.Detector.predict_video)
must give bit-identical probabilities (the video's, every track's, every frame's), and
these must equal, within 1e-4, the PyTorch model run on the face crops that `deepfake faces`
writes (PNG, normalized here with the checkpoint's mean/std/channel order). Those crops
must also equal the Python module's own model input (face_tracks) to 8-bit rounding.

Run by Bazel with Debian's /usr/bin/python3 (the #! line):
  golden_detect_test.py --preset tiny --convert_weights ... --deepfake ... --api ...
      --landmarks ... --pytorch_ref DIR VIDEO...
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import unittest

import numpy as np

TOLERANCE = 1e-4  # PyTorch vs the native backend (float32, different kernels)
ARGS = None


def parse_args():
    parser = argparse.ArgumentParser()
    for flag in ("preset", "convert_weights", "deepfake", "api", "landmarks", "pytorch_ref"):
        parser.add_argument("--" + flag, required=True)
    parser.add_argument("videos", nargs="+")
    return parser.parse_args()


def run(*command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return result


def checked(*command, ok=(0,)):
    result = run(*command)
    if result.returncode not in ok:
        raise AssertionError(f"{command[0]} exited {result.returncode}:\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


def checkpoint_metadata(path):
    """The __metadata__ of a safetensors file."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length))["__metadata__"]


def pytorch_model(preset):
    import torch
    import deterministic
    import models
    if preset == "tiny":  # nn/models/presets.cc's "tiny"
        net = models.DefaultDetector(layers=(1, 1, 1, 1), groups=4, width_per_group=16, base=8,
                                     hidden=8, lstm_layers=2)
    elif preset == "jadhav2020":
        net = models.Jadhav2020()
    else:
        raise ValueError(f"no PyTorch reference for preset {preset}")
    deterministic.fill_module(net, prefix="golden.")
    # fill_module draws weights in +-1/sqrt(fan_in), which shrinks activations ~3x per layer:
    # every video would then score the same to 1e-4 and the comparison could not tell crops
    # apart. Kaiming's ReLU gain (sqrt(6) on that bound) keeps them input-dependent.
    with torch.no_grad():
        for name, weight in net.named_parameters():
            if weight.dim() > 1 and not name.startswith("linear1"):
                weight.mul_(6 ** 0.5)
    return net.eval()


def results_of(cli_output):
    """The result objects of a `deepfake detect --output_file x.json` file."""
    if isinstance(cli_output, list):
        return cli_output
    if "results" in cli_output:
        return cli_output["results"]
    return [cli_output]


def probabilities(result):
    """Every probability a result holds: the video's, each track's, each frame's."""
    values = {"video": result["fake_probability"]}
    for track in result["tracks"]:
        values[f"track {track['track_id']}"] = track["fake_probability"]
        for i, frame in enumerate(track.get("frames", [])):
            values[f"track {track['track_id']} frame {i}"] = frame.get("fake_probability")
    return values


class GoldenDetectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        import deepfake
        torch.set_num_threads(2)
        tmp = os.environ["TEST_TMPDIR"]
        cls.torch = torch
        cls.net = pytorch_model(ARGS.preset)
        pt = os.path.join(tmp, f"{ARGS.preset}.pt")
        torch.save(cls.net.state_dict(), pt)
        cls.model = os.path.join(tmp, f"{ARGS.preset}.safetensors")
        checked(ARGS.convert_weights, f"--input={pt}", f"--preset={ARGS.preset}",
                f"--output={cls.model}")
        cls.metadata = checkpoint_metadata(cls.model)

        lines = checked(ARGS.api, cls.model, ARGS.landmarks, *ARGS.videos).stdout.splitlines()
        cls.api = [json.loads(line) for line in lines]

        cls.detector = deepfake.Detector(cls.model, device="cpu",
                                         landmark_model_path=ARGS.landmarks)
        cls.python = [cls.detector.predict_video(video) for video in ARGS.videos]

    def cli_results(self):
        """`deepfake detect --output_file` per video, as a user runs it."""
        results = []
        for i, video in enumerate(ARGS.videos):
            out = os.path.join(os.environ["TEST_TMPDIR"], f"cli_{i}.json")
            checked(ARGS.deepfake, "detect", "--model_path", self.model, "--video_path", video,
                    "--output_file", out, "--landmark_model", ARGS.landmarks, "--device", "cpu",
                    ok=(0, 1))  # 1: the verdict is FAKE
            with open(out) as f:
                results.extend(results_of(json.load(f)))
        return results

    def test_every_video_was_analysed(self):
        for video, (is_fake, _, details) in zip(ARGS.videos, self.python):
            self.assertIn(details["verdict"], ("REAL", "FAKE"), details.get("message"))
            self.assertGreaterEqual(len(details["tracks"]), 1, video)
        self.assertEqual(len(self.api), len(ARGS.videos))

    def test_api_cli_and_python_are_bit_identical(self):
        cli_results = self.cli_results()
        self.assertEqual(len(cli_results), len(ARGS.videos))
        for video, api, cli, (_, _, python) in zip(ARGS.videos, self.api, cli_results,
                                                   self.python):
            expected = probabilities(api)
            self.assertEqual(probabilities(cli), expected, f"CLI vs C++ API on {video}")
            self.assertEqual(probabilities(python), expected, f"Python vs C++ API on {video}")
            for key in ("verdict", "threshold", "deciding_track"):
                self.assertEqual(cli[key], api[key], key)
                self.assertEqual(python[key], api[key], key)
            self.assertEqual(python["model"]["sha256"], api["model"]["sha256"])

    def faces_command_crops(self, video, index):
        """{track_id: normalized float32 [T, 3, S, S]} from `deepfake faces`' PNG crops."""
        from PIL import Image
        out = os.path.join(os.environ["TEST_TMPDIR"], f"faces_{index}")
        checked(ARGS.deepfake, "faces", "--video_path", video, "--out_dir", out,
                "--landmark_model", ARGS.landmarks, "--preset", ARGS.preset)
        with open(os.path.join(out, "faces.json")) as f:
            faces = json.load(f)
        mean = np.array([float(v) for v in self.metadata["mean"].split(",")], np.float32)
        std = np.array([float(v) for v in self.metadata["std"].split(",")], np.float32)
        order = {"RGB": [0, 1, 2], "BGR": [2, 1, 0]}[self.metadata["channel_order"]]
        tracks = {}
        for track in faces["tracks"]:
            crops = []
            for frame in track["frames"]:
                rgb = np.asarray(Image.open(os.path.join(out, frame["crop"])).convert("RGB"))
                planes = rgb[:, :, order].astype(np.float32) / np.float32(255)
                crops.append(((planes - mean) / std).transpose(2, 0, 1))
            tracks[track["id"] if "id" in track else track["track_id"]] = np.stack(crops)
        return tracks

    def reference(self, faces):
        """(P(fake), [per-frame P(fake)] or None) of PyTorch on one track [T, 3, S, S]."""
        torch = self.torch
        x = torch.from_numpy(np.ascontiguousarray(faces))[None]
        labels = self.metadata["label_order"].split(",")
        with torch.no_grad():
            if ARGS.preset == "jadhav2020":
                _, logits = self.net(x)
                return torch.softmax(logits.double(), 1)[0, labels.index("FAKE")].item(), None
            video_logit, frame_logits = self.net(x)
            return (torch.sigmoid(video_logit.double())[0].item(),
                    torch.sigmoid(frame_logits.double())[0].tolist())

    def test_equal_to_pytorch_on_the_same_face_crops(self):
        for index, (video, (_, _, python)) in enumerate(zip(ARGS.videos, self.python)):
            crops = self.faces_command_crops(video, index)
            module_tracks = {t["track_id"]: t["faces"] for t in self.detector.face_tracks(video)}
            self.assertEqual(sorted(crops), sorted(module_tracks), video)
            for track_id, faces in crops.items():
                # The PNG crops are the module's model input up to 8-bit rounding (none: the
                # input is made from the same 8-bit crops).
                np.testing.assert_allclose(faces, module_tracks[track_id], rtol=0, atol=1e-6)

            best = 0.0
            for track in python["tracks"]:
                p, frame_scores = self.reference(crops[track["track_id"]])
                print(f"{os.path.basename(video)} track {track['track_id']}: "
                      f"PyTorch {p:.9f}  native {track['fake_probability']:.9f}  "
                      f"diff {abs(p - track['fake_probability']):.2e}")
                self.assertAlmostEqual(track["fake_probability"], p, delta=TOLERANCE)
                if frame_scores is not None:
                    native = [frame["fake_probability"] for frame in track["frames"]]
                    np.testing.assert_allclose(native, frame_scores, rtol=0, atol=TOLERANCE)
                best = max(best, p)
                # The comparison can tell crops apart: the same crops one pixel to the side
                # score differently by far more than the tolerance.
                shifted_p, _ = self.reference(np.roll(crops[track["track_id"]], 1, axis=3))
                self.assertGreater(abs(shifted_p - p), 10 * TOLERANCE)
            self.assertAlmostEqual(python["fake_probability"], best, delta=TOLERANCE)
        # ... and videos apart.
        video_p = [python["fake_probability"] for _, _, python in self.python]
        for a, b in zip(video_p, video_p[1:]):
            self.assertGreater(abs(a - b), 10 * TOLERANCE)


if __name__ == "__main__":
    sys.path.insert(0, os.path.abspath("serve/python/testing"))
    import sanitizers
    sanitizers.reexec_if_needed("serve/python/pkg/deepfake/_deepfake.so")
    ARGS = parse_args()
    sys.path.insert(0, os.path.abspath(ARGS.pytorch_ref))
    sys.path.insert(0, os.path.abspath("serve/python/pkg"))
    unittest.main(argv=[sys.argv[0]], verbosity=2)
