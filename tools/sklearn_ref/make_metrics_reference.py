"""Reference values for eval/metrics.h from scikit-learn (Debian's python3-sklearn 1.2).

Writes eval/testdata/metrics_reference.json, which eval/metrics_test.cc compares against
at 1e-12. The ROC curve, AUC, average precision, log loss, accuracy and balanced accuracy
come from sklearn.metrics; the equal error rate (interpolated on sklearn's roc_curve), the
best balanced-accuracy threshold and the expected calibration error have no sklearn
function and are computed here in numpy from their definitions in eval/metrics.h.

Run from the repository root:  python3 tools/sklearn_ref/make_metrics_reference.py
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics

OUT = os.path.join("eval", "testdata", "metrics_reference.json")
THRESHOLDS = [0.5, 0.3]  # accuracy etc. are checked at each
ECE_BINS = [15, 10]
LOG_LOSS_EPS = 1e-15


def clean(x):
    """NaN -> None (JSON null); numpy scalars -> Python numbers."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    x = float(x)
    return None if math.isnan(x) else x


def make_cases():
    rng = np.random.default_rng(20261130)
    cases = []

    def add(name, scores, labels):
        cases.append((name, [float(s) for s in scores], [int(l) for l in labels]))

    # Many ties: scores on a 0.1 grid, fakes score higher on average.
    labels = rng.integers(0, 2, 200)
    scores = np.clip(np.round(rng.normal(0.35 + 0.3 * labels, 0.2) * 10) / 10, 0, 1)
    add("ties_on_grid", scores, labels)
    # Heavier ties: only 4 distinct scores.
    labels = rng.integers(0, 2, 64)
    scores = rng.choice([0.1, 0.4, 0.6, 0.9], 64, p=[0.3, 0.2, 0.2, 0.3])
    scores = np.where(labels == 1, np.maximum(scores, rng.choice([0.1, 0.6], 64)), scores)
    add("four_levels", scores, labels)
    # Imbalanced: 7 fakes among 157, continuous scores with a few repeated values.
    labels = np.array([1] * 7 + [0] * 150)
    scores = rng.beta(2 + 3 * labels, 5 - 2 * labels)
    scores[10:20] = scores[0]  # ties between a fake and reals
    add("imbalanced", scores, labels)
    # Imbalanced the other way: 5 reals among 60.
    labels = np.array([0] * 5 + [1] * 55)
    add("mostly_fake", rng.beta(3 + labels, 3), labels)
    # All scores distinct.
    labels = rng.integers(0, 2, 60)
    add("distinct", rng.uniform(0, 1, 60) * 0.6 + 0.4 * labels * rng.uniform(0, 1, 60), labels)
    # Exact 0 and 1, some confidently wrong (log loss clipping), and 0.5 on the threshold.
    add("extremes", [0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 0.3, 0.999999, 1e-20, 0.7],
        [0, 1, 1, 0, 1, 0, 0, 1, 0, 1])
    add("tiny_two", [0.3, 0.7], [0, 1])
    add("tiny_all_tied", [0.5, 0.5, 0.5], [0, 1, 1])
    add("perfect", [0.1, 0.2, 0.3, 0.8, 0.9], [0, 0, 0, 1, 1])
    add("inverted", [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])
    # One class missing: AUC, EER, balanced accuracy (and AP without fakes) are undefined.
    add("fake_only", [0.2, 0.9, 0.6], [1, 1, 1])
    add("real_only", [0.2, 0.9, 0.6, 0.6], [0, 0, 0, 0])
    return cases


def eer_from_roc(fpr, tpr, thresholds):
    """eval::ComputeEqualErrorRate: first point with fpr >= fnr, interpolated linearly
    with the previous point; the threshold of the nearer point (the later one on a tie)."""
    fnr = 1 - tpr
    d = fpr - fnr
    i = int(np.argmax(d >= 0))
    if d[i] == 0:
        return fpr[i], thresholds[i]
    t = -d[i - 1] / (d[i] - d[i - 1])
    eer = fpr[i - 1] + t * (fpr[i] - fpr[i - 1])
    return eer, thresholds[i - 1] if t < 0.5 else thresholds[i]


def best_threshold(scores, labels):
    """eval::BestBalancedAccuracyThreshold, compared exactly in integers:
    balanced accuracy * 2PN = tp*N + tn*P."""
    p = int(labels.sum())
    n = len(labels) - p
    best = None
    for t in sorted(set(scores.tolist()), reverse=True):
        pred = scores >= t
        tp = int((pred & (labels == 1)).sum())
        tn = int((~pred & (labels == 0)).sum())
        key = (tp * n + tn * p, -abs(t - 0.5))
        if best is None or key > best[0]:
            best = (key, t)
    t = best[1]
    bal = metrics.balanced_accuracy_score(labels, (scores >= t).astype(int))
    return t, bal


def calibration(scores, labels, num_bins):
    idx = np.minimum(np.floor(scores * num_bins).astype(int), num_bins - 1)
    bins = []
    ece = 0.0
    for b in range(num_bins):
        m = idx == b
        count = int(m.sum())
        mean = float(scores[m].mean()) if count else math.nan
        frac = float(labels[m].mean()) if count else math.nan
        if count:
            ece += count / len(scores) * abs(mean - frac)
        bins.append({"lower": b / num_bins, "upper": (b + 1) / num_bins, "count": count,
                     "mean_score": clean(mean), "fraction_fake": clean(frac)})
    return ece, bins


def reference(name, scores_list, labels_list):
    scores = np.array(scores_list, dtype=np.float64)
    labels = np.array(labels_list, dtype=np.int64)
    both = 0 < labels.sum() < len(labels)
    out = {"name": name, "scores": scores_list, "labels": labels_list}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns for the one-class cases
        fpr, tpr, thr = metrics.roc_curve(labels, scores, drop_intermediate=False)
    # sklearn 1.2 puts thresholds[1] + 1 first; eval::ComputeRoc puts +inf (as sklearn >= 1.3).
    out["roc"] = {"fpr": clean(fpr), "tpr": clean(tpr), "thresholds_after_first": clean(thr[1:])}
    out["auc"] = clean(metrics.roc_auc_score(labels, scores)) if both else None
    if both:
        eer, eer_t = eer_from_roc(fpr, tpr, thr)
        out["eer"], out["eer_threshold"] = clean(eer), clean(eer_t)
    else:
        out["eer"], out["eer_threshold"] = None, None
    out["average_precision"] = (clean(metrics.average_precision_score(labels, scores))
                                if labels.sum() > 0 else None)
    out["log_loss"] = clean(metrics.log_loss(labels, scores, eps=LOG_LOSS_EPS, labels=[0, 1]))
    out["at_threshold"] = []
    for t in THRESHOLDS:
        pred = (scores >= t).astype(int)
        tn, fp, fn, tp = metrics.confusion_matrix(labels, pred, labels=[0, 1]).ravel()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            precision = metrics.precision_score(labels, pred, zero_division=0)
        out["at_threshold"].append({
            "threshold": t,
            "accuracy": clean(metrics.accuracy_score(labels, pred)),
            "balanced_accuracy": clean(metrics.balanced_accuracy_score(labels, pred))
                                 if both else None,
            "precision": clean(precision),
            "recall": clean(metrics.recall_score(labels, pred)) if labels.sum() > 0 else None,
            "true_fake": int(tp), "false_fake": int(fp), "true_real": int(tn),
            "false_real": int(fn),
        })
    if both:
        t, bal = best_threshold(scores, labels)
        out["best_threshold"], out["best_balanced_accuracy"] = clean(t), clean(bal)
    else:
        out["best_threshold"], out["best_balanced_accuracy"] = 0.5, None
    out["calibration"] = []
    for num_bins in ECE_BINS:
        ece, bins = calibration(scores, labels, num_bins)
        out["calibration"].append({"num_bins": num_bins, "ece": clean(ece), "bins": bins})
    return out


def main():
    cases = [reference(*case) for case in make_cases()]
    doc = {
        "generator": "tools/sklearn_ref/make_metrics_reference.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases (sklearn {sklearn.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
