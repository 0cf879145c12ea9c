#!/usr/bin/python3
"""The shipped model's dataset: one reproducible train/val/test split of the shared corpus
(../shared/data/corpus/MANIFEST.tsv), the real faces (../shared/data/real_faces) and the
project's synthetic fakes (//tools:synth), written as a dataset manifest
(train/data/manifest.h, "deepfake-synth-manifest-1") that //train:train --manifest and
`deepfake evaluate --manifest` read.

Split unit: the corpus' `group` (near-copies, an original and its fakes, one person's clips),
joined with the real-face clips of the same person (a corpus group that names a real-face clip,
e.g. `retalking_face1`, or `hdtf:RD_Radio34` = sadtalker_RD_Radio34_000; the README's
retalking_face3 = AlexandriaOcasioCortez). Groups are stratified by kind and source, shuffled
with --seed and cut into test / val / train by the midpoint of each group's videos in its
stratum (a kind of fake with only two groups, the lip-syncs, has its larger group tested
and the other trained on). Synthetic fakes take the split of the identities they show; an entry whose identities
sit in two splits is dropped (counted), so no person crosses a split.

Two steps:
  corpus_manifest.py --corpus C --real_faces R --synth_inputs DIR
      links the real-face clips into DIR/{train,val,test}/ so //tools:synth can be run once
      per split (face swaps then stay inside a split);
  corpus_manifest.py --corpus C --real_faces R --synth S1 S2 ... --out DIR
      writes DIR/manifest.json (absolute paths), DIR/split.tsv (file, split, kind, group),
      DIR/test_<kind>.json (the test reals with one kind of fake, for per-kind metrics) and
      prints the counts per split and kind. --leave_out SOURCE moves every group with a
      video from that source repository to test; --train_kinds real keeps only the real
      videos in training (the shipped model's blend-only first stage).
"""
import argparse
import csv
import collections
import json
import os
import random
import sys

SPLITS = ("train", "val", "test")
KINDS = ("face_swap", "talking_head", "lip_sync", "synthetic_swap", "self_blend", "real")

# A real-face clip (file stem) -> the corpus group of the same person, where one exists.
REAL_FACE_GROUPS = {
    "retalking_face1": "retalking_face1",  # the lip-syncs of the corpus were made from it
    "sadtalker_RD_Radio34_000": "hdtf:RD_Radio34",
    "sadtalker_WDA_AlexandriaOcasioCortez_000": "real_faces:retalking_face3",
}


def corpus_kind(row):
    """The kind of a corpus video, from its label and `dataset_or_method`."""
    if row["label"] == "real":
        return "real"
    method = row["dataset_or_method"]
    if "face swap" in method:
        return "face_swap"
    if "lip sync" in method or "Lip-Sync" in method or "Wav2Lip" in method:
        return "lip_sync"
    return "talking_head"  # AniTalker, VASA-1, EMO, StyleHEAT, SadTalker


def fail(message):
    sys.exit("corpus_manifest.py: " + message)


def read_corpus(corpus_dir):
    path = os.path.join(corpus_dir, "MANIFEST.tsv")
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    for column in ("file", "label", "dataset_or_method", "group", "source_repo@commit"):
        if rows and column not in rows[0]:
            fail(f"{path}: no column '{column}'")
    videos = []
    for row in rows:
        if row["label"] not in ("real", "fake"):
            fail(f"{path}: {row['file']}: label must be real or fake, not {row['label']}")
        videos.append({
            "file": os.path.abspath(os.path.join(corpus_dir, "videos", row["file"])),
            "label": row["label"],
            "kind": corpus_kind(row),
            "group": row["group"],
            "source": row["source_repo@commit"].split("@")[0],
            "params": {k: row[k] for k in ("dataset_or_method", "license", "source_repo@commit",
                                           "identity_hint", "pair_of") if k in row},
        })
    return videos


def read_real_faces(real_dir):
    try:
        names = sorted(n for n in os.listdir(real_dir) if n.endswith(".mp4"))
    except OSError as e:
        fail(f"{real_dir}: cannot list: {e.strerror}")
    videos = []
    for name in names:
        stem = name[:-4]
        videos.append({
            "file": os.path.abspath(os.path.join(real_dir, name)),
            "label": "real", "kind": "real",
            "group": REAL_FACE_GROUPS.get(stem, "real_faces:" + stem),
            "source": "real_faces", "clip": stem,
            "params": {"dataset_or_method": "real_faces (see its README)"},
        })
    return videos


def stratum(group_videos):
    """Groups are stratified by their fakes' kind (else by the source of their reals)."""
    fakes = collections.Counter(v["kind"] for v in group_videos if v["label"] == "fake")
    if fakes:
        return "fake:" + fakes.most_common(1)[0][0]
    return "real:" + group_videos[0]["source"]


def assign_splits(videos, seed, test_fraction, val_fraction, leave_out=""):
    groups = collections.defaultdict(list)
    for v in videos:
        groups[v["group"]].append(v)
    strata = collections.defaultdict(list)
    split_of = {}
    for name in sorted(groups):
        if leave_out and any(leave_out in v["source"] for v in groups[name]):
            split_of[name] = "test"  # the held-out source: tested only, never trained on
            continue
        strata[stratum(groups[name])].append(name)
    rng = random.Random(seed)
    for name in sorted(strata):
        members = strata[name]
        rng.shuffle(members)
        if name.startswith("fake:") and 1 < len(members) < 3:
            # A rare kind of fake (lip-syncs: two groups): its largest group is tested, so
            # the kind is measured at all; the rest trains.
            members.sort(key=lambda g: -len(groups[g]))
            split_of[members[0]] = "test"
            for g in members[1:]:
                split_of[g] = "train"
            continue
        total = sum(len(groups[g]) for g in members)
        done = 0
        for g in members:
            middle = (done + len(groups[g]) / 2) / total
            done += len(groups[g])
            split_of[g] = ("test" if middle < test_fraction else
                           "val" if middle < test_fraction + val_fraction else "train")
    return split_of


def entry(video, split):
    ident = video["group"]
    return {"file": video["file"], "label": video["label"], "method": video["kind"],
            "target_clip": video.get("clip", ident), "target_identity": ident,
            "source_clip": video.get("clip", ident), "source_identity": ident,
            "split": split, "crf": 0, "seed": 0, "frames": 0, "width": 0, "height": 0,
            "frame_rate": 0.0, "params": video["params"]}


def synth_entries(synth_dir, clip_split, clip_group):
    """Entries of a //tools:synth dataset, split by the identities they show."""
    path = os.path.join(synth_dir, "manifest.json")
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read the synth manifest: {e}")
    out, dropped = [], 0
    for e in manifest.get("entries", []):
        clips = {e["target_clip"], e["source_clip"]}
        unknown = [c for c in clips if c not in clip_split]
        if unknown:
            fail(f"{path}: {e['file']}: clip {unknown[0]} is not a real-face clip")
        splits = {clip_split[c] for c in clips}
        if len(splits) != 1:
            dropped += 1
            continue
        e = dict(e)
        e["file"] = os.path.abspath(os.path.join(synth_dir, e["file"]))
        e["split"] = splits.pop()
        e["method"] = {"real": "real", "face_swap": "synthetic_swap",
                       "self_blend": "self_blend"}.get(e["method"], e["method"])
        # Identities are the split's groups, so a person's synthetic clips and corpus clips
        # count as one person.
        e["target_identity"] = clip_group[e["target_clip"]]
        e["source_identity"] = clip_group[e["source_clip"]]
        out.append(e)
    return out, dropped


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="folder with MANIFEST.tsv and videos/")
    p.add_argument("--real_faces", required=True, help="folder of real face clips")
    p.add_argument("--synth", nargs="*", default=[], help="//tools:synth output folders")
    p.add_argument("--synth_inputs", help="write DIR/{train,val,test}/ links and stop")
    p.add_argument("--out", help="output folder (manifest.json, split.tsv, test_<kind>.json)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--test_fraction", type=float, default=0.25)
    p.add_argument("--val_fraction", type=float, default=0.2)
    p.add_argument("--leave_out", default="",
                   help="leave-one-source-out: every group with a video from a source "
                        "repository containing this (e.g. iperov/DeepFaceLive) goes to test")
    p.add_argument("--train_kinds", default="",
                   help="comma-separated kinds the training split keeps (e.g. "
                        "real,self_blend,synthetic_swap for a blend-only pretraining stage); "
                        "validation and test are unchanged. Default: every kind")
    args = p.parse_args()
    if not args.out and not args.synth_inputs:
        fail("give --out or --synth_inputs")

    corpus = read_corpus(args.corpus)
    real = read_real_faces(args.real_faces)
    split_of = assign_splits(corpus + real, args.seed, args.test_fraction, args.val_fraction,
                             args.leave_out)
    clip_split = {v["clip"]: split_of[v["group"]] for v in real}
    clip_group = {v["clip"]: v["group"] for v in real}

    if args.synth_inputs:
        for v in real:
            d = os.path.join(args.synth_inputs, clip_split[v["clip"]])
            os.makedirs(d, exist_ok=True)
            link = os.path.join(d, os.path.basename(v["file"]))
            if not os.path.lexists(link):
                os.symlink(v["file"], link)
        for s in SPLITS:
            print(s, sorted(c for c in clip_split if clip_split[c] == s))
        return

    entries = [entry(v, split_of[v["group"]]) for v in corpus + real]
    dropped = 0
    for d in args.synth:
        more, n = synth_entries(d, clip_split, clip_group)
        entries += more
        dropped += n
    for e in entries:
        if not os.path.isfile(e["file"]):
            fail(f"{e['file']}: no such video")
    # No identity in two splits.
    where = collections.defaultdict(set)
    for e in entries:
        for ident in (e["target_identity"], e["source_identity"]):
            where[ident].add(e["split"])
    crossing = sorted(i for i, s in where.items() if len(s) > 1)
    if crossing:
        fail(f"identities in two splits: {', '.join(crossing)}")

    if args.train_kinds:
        keep = set(args.train_kinds.split(","))
        unknown = sorted(keep - set(KINDS))
        if unknown:
            fail(f"--train_kinds: unknown kind(s) {', '.join(unknown)} (kinds: {', '.join(KINDS)})")
        entries = [e for e in entries if e["split"] != "train" or e["method"] in keep]

    os.makedirs(args.out, exist_ok=True)
    options = {"tool": "tools/corpus_manifest.py", "seed": args.seed,
               "test_fraction": args.test_fraction, "val_fraction": args.val_fraction,
               "corpus": os.path.abspath(args.corpus), "real_faces": os.path.abspath(args.real_faces),
               "synth": [os.path.abspath(s) for s in args.synth], "dropped_synth": dropped,
               "leave_out": args.leave_out, "train_kinds": args.train_kinds}

    def write(name, items):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump({"format": "deepfake-synth-manifest-1", "seed": args.seed,
                       "options": options, "entries": items}, f, indent=1, sort_keys=True)

    write("manifest.json", entries)
    test_reals = [e for e in entries if e["split"] == "test" and e["label"] == "real"]
    for kind in KINDS[:-1]:
        fakes = [e for e in entries if e["split"] == "test" and e["method"] == kind]
        if fakes:
            write(f"test_{kind}.json", test_reals + fakes)
    with open(os.path.join(args.out, "split.tsv"), "w") as f:
        f.write("file\tlabel\tkind\tsplit\tgroup\n")
        for e in entries:
            f.write(f"{e['file']}\t{e['label']}\t{e['method']}\t{e['split']}\t{e['target_identity']}\n")

    counts = collections.Counter((e["split"], e["method"]) for e in entries)
    groups = collections.defaultdict(set)
    for e in entries:
        groups[e["split"]].add(e["target_identity"])
    print("kind".ljust(16) + "".join(s.rjust(7) for s in SPLITS))
    for kind in KINDS:
        print(kind.ljust(16) + "".join(str(counts[(s, kind)]).rjust(7) for s in SPLITS))
    print("videos".ljust(16) + "".join(
        str(sum(counts[(s, k)] for k in KINDS)).rjust(7) for s in SPLITS))
    print("groups".ljust(16) + "".join(str(len(groups[s])).rjust(7) for s in SPLITS))
    print(f"synthetic entries dropped (identities in two splits): {dropped}")
    print(f"wrote {os.path.join(args.out, 'manifest.json')}, split.tsv, test_<kind>.json")


if __name__ == "__main__":
    main()
