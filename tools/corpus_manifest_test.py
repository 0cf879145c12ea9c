#!/usr/bin/python3
"""Tests tools/corpus_manifest.py on a made-up corpus (empty video files: the tool reads only
names): groups never cross splits, the same seed gives the same bytes, a rare kind of fake is
tested, synthetic entries follow their identities' split and crossing ones are dropped,
--train_kinds filters the training split only, and bad input is an error naming the file."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_manifest.py")
COLUMNS = ["file", "source_repo@commit", "label", "dataset_or_method", "license",
           "identity_hint", "pair_of", "group"]


def make_corpus(root):
    rows = []
    for g in range(12):  # face-swap groups: an original and its fake
        rows.append((f"dfl/{g}_real.mp4", "real", "original half", f"dfl:{g}"))
        rows.append((f"dfl/{g}_fake.mp4", "fake", "DeepFaceLive real-time face swap", f"dfl:{g}"))
    for g in range(8):
        rows.append((f"vasa/{g}.mp4", "fake", "VASA-1 talking face", f"vasa1:{g}"))
        rows.append((f"vox/{g}.mp4", "real", "VoxCeleb2 (real)", f"vox:{g}"))
    for v in range(5):
        rows.append((f"sync/{v}.mp4", "fake", "Wav2Lip lip sync", "retalking_face1"))
    rows.append(("kim/fake.mp4", "fake", "Wav2Lip + GFPGAN lip sync", "kim"))
    os.makedirs(os.path.join(root, "corpus", "videos"))
    with open(os.path.join(root, "corpus", "MANIFEST.tsv"), "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for file, label, method, group in rows:
            path = os.path.join(root, "corpus", "videos", file)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
            repo = "o/dfl-repo@c" if group.startswith("dfl:") else "o/r@c"
            f.write("\t".join([file, repo, label, method, "MIT", "", "", group]) + "\n")
    os.makedirs(os.path.join(root, "real"))
    for clip in ["retalking_face1", "retalking_face3", "sadtalker_WDA_AlexandriaOcasioCortez_000",
                 "a", "b", "c", "d"]:
        open(os.path.join(root, "real", clip + ".mp4"), "w").close()


def read_text(path):
    with open(path) as f:
        return f.read()


def run(*args, ok=True):
    p = subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise AssertionError(f"corpus_manifest.py failed: {p.stderr}")
    return p


class CorpusManifestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        make_corpus(self.root)
        self.base = ["--corpus", os.path.join(self.root, "corpus"),
                     "--real_faces", os.path.join(self.root, "real")]

    def tearDown(self):
        self.tmp.cleanup()

    def manifest(self, out, *extra):
        run(*self.base, "--out", out, *extra)
        with open(os.path.join(out, "manifest.json")) as f:
            return json.load(f)

    def test_groups_stay_on_one_side_and_every_split_is_used(self):
        m = self.manifest(os.path.join(self.root, "out"))
        self.assertEqual(m["format"], "deepfake-synth-manifest-1")
        side = {}
        for e in m["entries"]:
            self.assertTrue(os.path.isabs(e["file"]))
            self.assertEqual(side.setdefault(e["target_identity"], e["split"]), e["split"],
                             e["target_identity"])
        self.assertEqual({e["split"] for e in m["entries"]}, {"train", "val", "test"})
        # The real face clip the lip-syncs were made from is in their group; the README's
        # same-person pair is one group.
        by_file = {os.path.basename(e["file"]): e for e in m["entries"]}
        self.assertEqual(by_file["retalking_face1.mp4"]["target_identity"], "retalking_face1")
        self.assertEqual(by_file["retalking_face3.mp4"]["target_identity"],
                         by_file["sadtalker_WDA_AlexandriaOcasioCortez_000.mp4"]["target_identity"])
        # Lip-syncs (two groups): the larger one is tested.
        self.assertEqual(side["retalking_face1"], "test")
        self.assertEqual(side["kim"], "train")
        kinds = {e["method"] for e in m["entries"]}
        self.assertEqual(kinds, {"real", "face_swap", "talking_head", "lip_sync"})
        # Per-kind test manifests: the test reals plus that kind's test fakes.
        with open(os.path.join(self.root, "out", "test_lip_sync.json")) as f:
            t = json.load(f)["entries"]
        self.assertTrue(all(e["split"] == "test" for e in t))
        self.assertEqual({e["method"] for e in t}, {"real", "lip_sync"})

    def test_same_seed_same_bytes_other_seed_other_split(self):
        a, b, c = (os.path.join(self.root, n) for n in "abc")
        run(*self.base, "--out", a)
        run(*self.base, "--out", b)
        run(*self.base, "--out", c, "--seed", "2")
        read = lambda d: read_text(os.path.join(d, "split.tsv"))
        self.assertEqual(read(a), read(b))
        self.assertNotEqual(read(a), read(c))

    def test_synthetic_entries_follow_their_identities(self):
        inputs = os.path.join(self.root, "inputs")
        run(*self.base, "--synth_inputs", inputs)
        split = {os.path.splitext(n)[0]: s for s in ("train", "val", "test")
                 for n in os.listdir(os.path.join(inputs, s))}
        same = [c for c in split if split[c] == split["a"] and c != "a"]
        other = [c for c in split if split[c] != split["a"]]
        synth = os.path.join(self.root, "synth")
        os.makedirs(os.path.join(synth, "videos"))
        entries = []
        for name, method, source in [("s1", "face_swap", same[0]), ("s2", "face_swap", other[0]),
                                     ("s3", "self_blend", "a"), ("s4", "real", "a")]:
            open(os.path.join(synth, "videos", name + ".mp4"), "w").close()
            entries.append({"file": f"videos/{name}.mp4", "label": "real" if method == "real"
                            else "fake", "method": method, "target_clip": "a",
                            "target_identity": "a", "source_clip": source,
                            "source_identity": source, "split": "train", "crf": 23, "seed": 1,
                            "frames": 1, "width": 8, "height": 8, "frame_rate": 25.0})
        with open(os.path.join(synth, "manifest.json"), "w") as f:
            json.dump({"format": "deepfake-synth-manifest-1", "seed": 1, "entries": entries}, f)
        out = os.path.join(self.root, "out")
        p = run(*self.base, "--synth", synth, "--out", out)
        self.assertIn("dropped (identities in two splits): 1", p.stdout)
        m = json.loads(read_text(os.path.join(out, "manifest.json")))
        got = {os.path.basename(e["file"]): e for e in m["entries"] if "/synth/" in e["file"]}
        self.assertEqual(sorted(got), ["s1.mp4", "s3.mp4", "s4.mp4"])
        self.assertEqual({e["split"] for e in got.values()}, {split["a"]})
        self.assertEqual(got["s1.mp4"]["method"], "synthetic_swap")
        self.assertEqual(got["s3.mp4"]["method"], "self_blend")

    def test_leave_one_source_out_tests_every_group_of_the_source(self):
        m = self.manifest(os.path.join(self.root, "out"), "--leave_out", "dfl-repo")
        for e in m["entries"]:
            held_out = e["target_identity"].startswith("dfl:")
            self.assertEqual(e["split"] == "test" or not held_out, True, e["file"])
        self.assertTrue(any(e["method"] == "face_swap" and e["split"] == "test"
                            for e in m["entries"]))
        self.assertFalse(any(e["method"] == "face_swap" and e["split"] != "test"
                             for e in m["entries"]))

    def test_train_kinds_filters_the_training_split_only(self):
        full = self.manifest(os.path.join(self.root, "full"))
        m = self.manifest(os.path.join(self.root, "out"), "--train_kinds", "real")
        self.assertEqual({e["method"] for e in m["entries"] if e["split"] == "train"}, {"real"})
        others = lambda man: [e for e in man["entries"] if e["split"] != "train"]
        self.assertEqual(others(m), others(full))
        self.assertEqual(m["options"]["train_kinds"], "real")
        p = run(*self.base, "--out", os.path.join(self.root, "bad"), "--train_kinds", "real,swap",
                ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--train_kinds: unknown kind(s) swap", p.stderr)

    def test_bad_input_names_the_file(self):
        os.remove(os.path.join(self.root, "corpus", "videos", "kim", "fake.mp4"))
        p = run(*self.base, "--out", os.path.join(self.root, "out"), ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("kim/fake.mp4: no such video", p.stderr)
        p = run("--corpus", self.root, "--real_faces", self.root, "--out", self.root, ok=False)
        self.assertIn("MANIFEST.tsv: cannot read", p.stderr)


if __name__ == "__main__":
    unittest.main()
