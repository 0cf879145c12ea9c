"""PyTorch side of the training-throughput benchmark (issue 11): the training step of the
`default` preset (ResNeXt-50 32x4d -> BiLSTM 2x256 -> Linear, video logit = mean of the
frame logits; models.DefaultDetector) as an ML engineer would write it in PyTorch, timed the
way //train:train reports its own frames/s, so the two can be compared.

One step = zero_grad, forward of [batch, sequence, 3, size, size], BCE-with-logits on the
video logits, backward, Adam (lr 1e-4, weight decay 1e-5) update. The model is in training
mode (BatchNorm uses batch statistics). Inputs are random and made before timing: no data
loading is measured, so this is the model's ceiling (data wait 0%).

Fairness (/work/shared/docs/PERF_NOTES.md): the thread count is set explicitly (PyTorch's
default on the 2-core VM is 1; OMP_NUM_THREADS is set before torch loads), BLAS should be
OpenBLAS (libopenblas0-openmp, Debian's alternative), warm-up steps are not timed, and the
median of the timed steps is reported. The machine is shared: the load average before and
after is printed so a busy run can be recognised, and the process's CPU seconds per step
are reported beside the wall-clock time. OpenMP threads wait at each parallel region's end by
spinning (GOMP's default); when other processes hold the cores, a spinning thread waits for
a descheduled one and a step gets several times slower (2 threads under load 9: 12 s vs 2 s
a step, 4.1 vs 0.8 CPU s). Our thread pool (base/thread_pool.h) sleeps on a condition
variable, so the like-for-like setting, and the default here, is OMP_WAIT_POLICY=PASSIVE
(--omp_wait_policy active|default measures the other; on an idle machine spinning is
expected to cost little or gain a little, not measured here).

Run with Debian's PyTorch, one image size per process (each peak RSS is then that run's):
    /usr/bin/python3 tools/pytorch_ref/train_throughput.py --image_size 112 --threads 2
    /usr/bin/python3 tools/pytorch_ref/train_throughput.py --image_size 224 --threads 2 \
        --warmup_steps 1 --steps 2
Prints progress on stderr and one JSON line on stdout, e.g.
    {"image_size": 112, "batch_size": 8, "sequence_length": 16, "threads": 2,
     "frames_per_step": 128, "step_seconds_median": ..., "frames_per_second": ..., ...}
Memory: activations kept for backward grow with batch x sequence x size^2: about 2 GiB for
2 x 16 frames at 112 px and 4.8 GiB at 224 px (PERF_NOTES), so batch 8 at 224 px needs
about 19 GiB; --batch_size lowers it (frames/s per frame stays comparable).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

from process_stats import cpu_seconds, loaded_blas


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image_size", type=int, default=224, help="square crop side (px)")
    parser.add_argument("--batch_size", type=int, default=8, help="videos per step")
    parser.add_argument("--sequence_length", type=int, default=16, help="frames per video")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (OpenMP)")
    parser.add_argument("--warmup_steps", type=int, default=1, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=3, help="timed steps")
    parser.add_argument("--learning_rate", type=float, default=1e-4)
    parser.add_argument("--weight_decay", type=float, default=1e-5)
    parser.add_argument("--optimizer", choices=["adam", "adamw"], default="adam")
    parser.add_argument("--memory_format", choices=["contiguous", "channels_last"],
                        default="contiguous",
                        help="layout of the conv trunk's weights and inputs (channels_last "
                             "sends convolutions to oneDNN's NHWC kernels)")
    parser.add_argument("--omp_wait_policy", choices=["passive", "active", "default"],
                        default="passive",
                        help="OMP_WAIT_POLICY for PyTorch's OpenMP threads (see above)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in ("image_size", "batch_size", "sequence_length", "threads", "steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup_steps < 0:
        parser.error("--warmup_steps must not be negative")
    return args


def cpu_description():
    """Model name, clock and widest vector extension: VMs of one name differ (PERF_NOTES'
    machine had AVX-512; others get AVX2 only), and PyTorch's kernels follow them."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor()
    flags = fields.get("flags", "").split()
    vector = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "sse"
    return f"{fields.get('model name', '?')}, {fields.get('cpu MHz', '?')} MHz, {vector}"


def main():
    args = parse_args()
    # Before torch loads: OpenMP (PyTorch's and OpenBLAS's) reads it once.
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    import torch  # noqa: E402 (after OMP_NUM_THREADS)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models  # noqa: E402

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load_before = os.getloadavg()

    net = models.DefaultDetector().train()
    if args.memory_format == "channels_last":
        net.model = net.model.to(memory_format=torch.channels_last)
    opt_class = torch.optim.Adam if args.optimizer == "adam" else torch.optim.AdamW
    optimizer = opt_class(net.parameters(), lr=args.learning_rate,
                          weight_decay=args.weight_decay)
    b, t, s = args.batch_size, args.sequence_length, args.image_size
    # Two batches alternate, so no step sees exactly the previous step's input; labels half
    # real, half fake.
    batches = []
    for _ in range(2):
        x = torch.rand(b, t, 3, s, s)
        if args.memory_format == "channels_last":
            # What the trunk sees, [b*t, 3, s, s], stored channels-last.
            x = x.view(b * t, 3, s, s).contiguous(memory_format=torch.channels_last)
        y = torch.tensor([float(i % 2) for i in range(b)])
        batches.append((x, y))

    def forward(x):
        if args.memory_format != "channels_last":
            return net(x)[0]
        f = net.model(x)
        f = net.avgpool(f).reshape(b, t, net.features)
        out, _ = net.lstm(f)
        return net.linear1(out).squeeze(-1).mean(dim=1)

    def step(i):
        x, y = batches[i % 2]
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    frames = b * t
    total = args.warmup_steps + args.steps
    times = []
    print(f"train_throughput: default detector, batch {b} x {t} frames at {s} px, "
          f"{args.threads} threads, {args.memory_format}, torch {torch.__version__}, "
          f"BLAS {loaded_blas()}; {args.warmup_steps} warm-up + {args.steps} timed steps; "
          f"load average {load_before[0]:.2f}", file=sys.stderr, flush=True)
    run_start = time.perf_counter()
    cpu_times = []
    for i in range(total):
        start, cpu_start = time.perf_counter(), cpu_seconds()
        loss = step(i)
        seconds = time.perf_counter() - start
        timed = i >= args.warmup_steps
        if timed:
            times.append(seconds)
            cpu_times.append(cpu_seconds() - cpu_start)
        elapsed = time.perf_counter() - run_start
        left = (elapsed / (i + 1)) * (total - i - 1)
        print(f"  step {i + 1}/{total} ({'timed' if timed else 'warm-up'}): {seconds:.2f} s, "
              f"{frames / seconds:.2f} frames/s, loss {loss:.4f}, ETA {left:.0f} s",
              file=sys.stderr, flush=True)

    median = statistics.median(times)
    result = {
        "benchmark": "pytorch_train_step",
        "model": "default (ResNeXt-50 32x4d -> BiLSTM 2x256 -> Linear)",
        "image_size": s,
        "batch_size": b,
        "sequence_length": t,
        "frames_per_step": frames,
        "threads": args.threads,
        "memory_format": args.memory_format,
        "optimizer": args.optimizer,
        "warmup_steps": args.warmup_steps,
        "step_seconds": [round(x, 4) for x in times],
        "step_seconds_median": round(median, 4),
        "frames_per_second": round(frames / median, 3),
        "data_wait_share": 0.0,
        # CPU time of this process per step (user + system, all threads): on a shared
        # machine, cpu / threads is what a step would take with the cores to itself (if
        # the threads scale perfectly), a figure less at the mercy of the other load.
        "step_cpu_seconds": [round(x, 4) for x in cpu_times],
        "step_cpu_seconds_median": round(statistics.median(cpu_times), 4),
        "frames_per_cpu_second": round(frames / statistics.median(cpu_times), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "torch": torch.__version__,
        "blas": loaded_blas(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "cpu": cpu_description(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
