#!/usr/bin/python3
"""Prints the model card's test table (markdown) from `deepfake evaluate` outputs:
   card_tables.py EVAL_DIR   (EVAL_DIR/all/metrics.json and EVAL_DIR/<kind>/metrics.json)"""
import json
import os
import sys

KINDS = [("all", "all kinds"), ("face_swap", "face swap (DeepFaceLive, GHOST)"),
         ("talking_head", "talking head (AniTalker, VASA-1, EMO, StyleHEAT, SadTalker)"),
         ("lip_sync", "lip-sync (Wav2Lip, VideoReTalking, ...)"),
         ("synthetic_swap", "synthetic swap (//tools:synth)"),
         ("self_blend", "self-blend (//tools:synth)")]


def main():
    root = sys.argv[1]
    print("| test videos | real | fake | video AUC | EER | AP | accuracy | FPR on real | "
          "fakes caught | ECE | frame AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, name in KINDS:
        path = os.path.join(root, kind, "metrics.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            m = json.load(f)
        v, fr = m["summary"]["video"], m["summary"]["frame"]
        fmt = lambda x: "n/a" if x is None else f"{x:.3f}"
        print(f"| {name} | {v['num_real']} | {v['num_fake']} | {fmt(v.get('auc'))} | "
              f"{fmt(v.get('eer'))} | {fmt(v.get('average_precision'))} | "
              f"{fmt(v.get('accuracy'))} | {v['false_fake']}/{v['num_real']} | "
              f"{v['true_fake']}/{v['num_fake']} | {fmt(m['summary']['calibration']['ece'])} | "
              f"{fmt(fr.get('auc'))} |")
    with open(os.path.join(root, "all", "metrics.json")) as f:
        m = json.load(f)
    print(f"\nthreshold {m['threshold']:.4f} ({m['threshold_source']}); model sha256 "
          f"{m['model']['sha256']}; not scored: {m['summary']['not_scored']}")


if __name__ == "__main__":
    main()
