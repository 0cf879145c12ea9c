"""PyTorch side of //nn/bench: times one configuration in this process and prints one JSON
line {"config", "mode", "seconds", "peak_rss_mb"}. The C++ driver starts one process per
(configuration, mode) so each peak RSS is that configuration's alone.

Fairness (../shared/docs/PERF_NOTES.md): the thread count is set explicitly (PyTorch's
default on this VM is 1), BLAS should be OpenBLAS (libopenblas0-openmp) rather than the
reference BLAS, warm-up runs are not timed, and the median of the timed runs is reported.
Modes: eager (plain PyTorch) and onednn (inference through torch.utils.mkldnn, PyTorch's
fastest CPU path here).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "pytorch_ref"))
import models  # noqa: E402


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--mode", default="eager", choices=["eager", "onednn"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    if args.config.startswith("resnext_infer_b"):
        batch = int(args.config[len("resnext_infer_b"):])
        net = models.resnext().eval()
        x = torch.randn(batch, 3, 224, 224)
        if args.mode == "onednn":
            from torch.utils import mkldnn
            net = mkldnn.to_mkldnn(net)
            x = x.to_mkldnn()
        with torch.no_grad():
            seconds = timed(lambda: net(x), 1, args.repeats)
    elif args.config == "detector_infer":
        net = models.DefaultDetector().eval()
        x = torch.randn(1, 16, 3, 224, 224)
        if args.mode == "onednn":
            from torch.utils import mkldnn
            net.model = mkldnn.to_mkldnn(net.model)
            trunk = net.model

            def forward():
                b, t = x.shape[:2]
                f = trunk(x.view(b * t, 3, 224, 224).to_mkldnn()).to_dense()
                out, _ = net.lstm(net.avgpool(f).view(b, t, -1))
                return net.linear1(out).mean(dim=1)
        else:
            def forward():
                return net(x)
        with torch.no_grad():
            seconds = timed(forward, 1, args.repeats)
    elif args.config in ("detector_train", "detector_train_224"):
        if args.mode != "eager":
            raise SystemExit("training is measured in eager mode only")
        net = models.DefaultDetector().train()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
        if args.config == "detector_train_224":
            x = torch.randn(1, 16, 3, 224, 224)
            y = torch.tensor([1.0])
        else:
            x = torch.randn(2, 16, 3, 112, 112)
            y = torch.tensor([1.0, 0.0])

        def step():
            optimizer.zero_grad()
            video_logits, _ = net(x)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(video_logits, y)
            loss.backward()
            optimizer.step()
        seconds = timed(step, 1, args.repeats)
    else:
        raise SystemExit(f"unknown config {args.config}")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"config": args.config, "mode": args.mode, "seconds": seconds,
                      "peak_rss_mb": peak_mb, "torch": torch.__version__,
                      "blas": loaded_blas()}))


def loaded_blas():
    """The BLAS library this process actually mapped (Debian switches it by alternatives)."""
    with open("/proc/self/maps") as maps:
        text = maps.read()
    for name in ("openblas", "blis", "mkl", "atlas"):
        if name in text:
            return name
    return "reference"


if __name__ == "__main__":
    main()
