"""PyTorch side of the end-to-end detection benchmark (issue 12): the `default` preset's
detection pipeline written with PyTorch in Python, run on the clips, crops and checkpoint
that //serve/bench:detect_benchmark prepared, and compared with its figures.

    bazel run //serve/bench:detect_benchmark      # C++ figures + /tmp/detect_benchmark/
    /usr/bin/python3 tools/pytorch_ref/detect_pipeline.py --work_dir /tmp/detect_benchmark

Per video, what a Python user of PyTorch would write:
  decode   PyAV (FFmpeg, frame threads as FFmpeg chooses, as ours): frames in order, the
           first at or after each of i * duration / N kept (the same frames our sampling
           picks; checked against the manifest), only those converted to RGB (swscale,
           bilinear, the colour matrix ours picks);
  faces    not run here: Debian has no dlib for Python, and a Python pipeline would call
           the same dlib C++ code (HOG detector + 68 landmarks) through dlib's binding. Its
           cost is taken from our run of exactly that code on one thread (the manifest's
           faces_ms per video) and added, labelled, to the PyTorch totals;
  crops    the aligned crops from the manifest's affine maps (our landmarks), sampled like
           video/align.cc (bilinear, n x n taps when shrinking, black outside) with
           torch.grid_sample + avg_pool2d, rounded to bytes, then /255, mean/std;
  model    models.DefaultDetector (loaded from the benchmark's checkpoint when the names
           match), eval mode, torch.inference_mode, face tracks in Forwards of
           --model_batch, P(fake) = sigmoid of the mean frame logit.
Batch mode: every video of the batch decoded and cropped in turn, then all their face
tracks through the model --model_batch at a time (no overlap: plain sequential Python).

Fairness (/work/shared/docs/PERF_NOTES.md): the thread count is set explicitly (to ours),
OMP_WAIT_POLICY=PASSIVE (our pool sleeps too), BLAS should be OpenBLAS, channels-last
(oneDNN's faster path) by default, a warm-up video untimed, medians of --repeats passes.
Before timing, every crop is compared with ours (max byte difference) and, with the
checkpoint loaded, every track's P(fake) with ours, so the two pipelines are shown to
compute the same thing.

Prints progress on stderr, the comparison table and one JSON line on stdout, and writes
pytorch_results.json beside the manifest.
"""
import argparse
import json
import os
import statistics
import sys
import time

from process_stats import cpu_seconds, loaded_blas


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work_dir", default="/tmp/detect_benchmark",
                        help="detect_benchmark's output (manifest.json, clips, crops)")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads (0 = the C++ run's thread count)")
    parser.add_argument("--repeats", type=int, default=0, help="timed passes (0 = the C++ run's)")
    parser.add_argument("--model_batch", type=int, default=0,
                        help="face tracks per Forward (0 = the C++ run's)")
    parser.add_argument("--memory_format", choices=["channels_last", "contiguous"],
                        default="channels_last")
    parser.add_argument("--omp_wait_policy", choices=["passive", "active", "default"],
                        default="passive")
    parser.add_argument("--skip_checks", action="store_true",
                        help="do not compare crops and probabilities with ours first")
    return parser.parse_args()


def decode(av, path, num_frames):
    """The frames our evenly spaced sampling picks: for i < N, the first frame with
    timestamp >= i * duration / N (each frame once). Returns (rgb arrays, indices)."""
    container = av.open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        if stream.duration:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = container.duration / 1e6
        targets = [i * duration / num_frames for i in range(num_frames)]
        frames, indices, k = [], [], 0
        for index, frame in enumerate(container.decode(stream)):
            t = float(frame.pts * stream.time_base) - start
            if t < targets[k] - 1e-4:
                continue
            # The colour matrix our decoder picks for an unspecified one (these clips'):
            # BT.709 for HD, BT.601 below (PyAV 10 cannot read the stream's tag).
            hd = frame.width >= 1280 or frame.height > 576
            rgb = frame.reformat(format="rgb24", src_colorspace="ITU709" if hd else "ITU601")
            frames.append(rgb.to_ndarray())
            indices.append(index)
            while k < num_frames and targets[k] <= t + 1e-4:
                k += 1
            if k == num_frames:
                break
        return frames, indices
    finally:
        container.close()


def crop_bytes(torch, frame, transform, size):
    """video::SampleCrop in torch: [3, size, size] float holding byte values 0..255."""
    a, b, c, d, e, f = transform
    footprint = max((a * a + d * d) ** 0.5, (b * b + e * e) ** 0.5)
    taps = min(max(int(-(-(footprint - 1e-6) // 1)), 1), 8)
    n = size * taps
    # Crop coordinates of every tap (u + (i + 0.5) / taps), then frame coordinates.
    s = (torch.arange(n, dtype=torch.float64) + 0.5) / taps
    v, u = torch.meshgrid(s, s, indexing="ij")
    fx = a * u + b * v + c
    fy = d * u + e * v + f
    h, w = frame.shape[1], frame.shape[2]
    # grid_sample, align_corners=False: pixel centre x + 0.5 <-> (2 (x + 0.5) / w) - 1.
    grid = torch.stack([2 * fx / w - 1, 2 * fy / h - 1], dim=-1).float().unsqueeze(0)
    sampled = torch.nn.functional.grid_sample(frame.unsqueeze(0), grid, mode="bilinear",
                                              padding_mode="zeros", align_corners=False)
    if taps > 1:
        sampled = torch.nn.functional.avg_pool2d(sampled, taps)
    return torch.floor(sampled[0] + 0.5).clamp_(0, 255)


def crop_track(torch, frames, transforms, size):
    """[T, 3, size, size] byte-valued crops of one face track."""
    return torch.stack([crop_bytes(torch, frames[t], transforms[t], size)
                        for t in range(len(transforms))])


def normalize(torch, crops, prep):
    x = crops / 255.0
    if prep["channel_order"] == "bgr":
        x = x.flip(1)
    mean = torch.tensor(prep["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(prep["std"]).view(1, 3, 1, 1)
    return (x - mean) / std


class Pipeline:
    def __init__(self, torch, av, net, prep, memory_format, model_batch):
        self.torch, self.av, self.net, self.prep = torch, av, net, prep
        self.channels_last = memory_format == "channels_last"
        self.model_batch = model_batch

    def frames_as_tensors(self, frames):
        # [H, W, 3] uint8 -> [3, H, W] float (bytes), what grid_sample reads.
        return [self.torch.from_numpy(f).permute(2, 0, 1).float() for f in frames]

    def preprocess(self, video):
        """decode + crops of one video -> (list of [T, 3, S, S] tracks, ms decode, ms crop)."""
        torch = self.torch
        t0 = time.perf_counter()
        frames, indices = decode(self.av, video["path"], self.prep["frames"])
        t1 = time.perf_counter()
        images = self.frames_as_tensors(frames)
        tracks = [normalize(torch, crop_track(torch, images, track["transforms"],
                                              self.prep["image_size"]), self.prep)
                  for track in video["tracks"]]
        t2 = time.perf_counter()
        return tracks, indices, 1000 * (t1 - t0), 1000 * (t2 - t1)

    def score(self, tracks):
        """P(fake) per track, Forwards of model_batch tracks."""
        torch, net = self.torch, self.net
        out = []
        with torch.inference_mode():
            for i in range(0, len(tracks), self.model_batch):
                x = torch.stack(tracks[i:i + self.model_batch])  # [B, T, 3, S, S]
                b, t = x.shape[:2]
                x = x.view(b * t, *x.shape[2:])
                if self.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                f = net.avgpool(net.model(x)).reshape(b, t, net.features)
                lstm_out, _ = net.lstm(f)
                logits = net.linear1(lstm_out).squeeze(-1).mean(dim=1)
                out.extend(torch.sigmoid(logits).tolist())
        return out


def load_weights(torch, net, path):
    """The benchmark's checkpoint into the PyTorch model (our checkpoints use PyTorch's
    state_dict names). Returns an error string, or None."""
    from safetensors_io import load_file
    try:
        tensors, _ = load_file(path)
        missing = net.load_state_dict(tensors, strict=False)
        if missing.missing_keys:
            return f"{path}: {len(missing.missing_keys)} names missing, e.g. " \
                   f"{missing.missing_keys[:3]}"
    except Exception as error:  # noqa: BLE001 (any failure: report, keep random weights)
        return f"{path}: {error}"
    return None


def check(pipeline, videos, cpp_probabilities, weights_loaded):
    """Our crops vs the manifest's, our P(fake) vs the C++ run's. Returns a summary dict."""
    import numpy as np
    torch, prep = pipeline.torch, pipeline.prep
    size = prep["image_size"]
    worst_crop, differing, pixels, index_mismatch, worst_prob = 0, 0, 0, 0, 0.0
    for video in videos:
        frames, indices = decode(pipeline.av, video["path"], prep["frames"])
        if indices != video["frame_indices"]:
            index_mismatch += 1
            print(f"  {video['path']}: frames {indices} != ours {video['frame_indices']}",
                  file=sys.stderr)
            continue
        images = pipeline.frames_as_tensors(frames)
        ours = np.fromfile(video["crops_file"], dtype=np.uint8).reshape(
            len(video["tracks"]), prep["frames"], size, size, 3)
        tracks = []
        for k, track in enumerate(video["tracks"]):
            crops = crop_track(torch, images, track["transforms"], size)
            theirs = torch.from_numpy(ours[k].astype(np.float32)).permute(0, 3, 1, 2)
            diff = (crops - theirs).abs()
            worst_crop = max(worst_crop, int(diff.max()))
            differing += int((diff > 0).sum())
            pixels += diff.numel()
            tracks.append(normalize(torch, crops, prep))
        if weights_loaded and video["path"] in cpp_probabilities:
            for p, q in zip(pipeline.score(tracks), cpp_probabilities[video["path"]]):
                worst_prob = max(worst_prob, abs(p - q))
    return {"videos": len(videos), "frame_index_mismatches": index_mismatch,
            "crop_max_byte_difference": worst_crop,
            "crop_bytes_differing_share": differing / max(pixels, 1),
            "probability_max_difference": worst_prob if weights_loaded else None}


def main():
    args = parse_args()
    with open(os.path.join(args.work_dir, "manifest.json")) as file:
        manifest = json.load(file)
    # Without the C++ figures (detect_benchmark --prepare_only): PyTorch's alone.
    cpp = manifest.get("cpp_results") or {"threads": os.cpu_count(), "repeats": 3,
                                          "model_batch": 8, "batch": 16}
    if manifest["preset"] != "default":
        sys.exit(f"detect_pipeline: preset {manifest['preset']!r}: only `default` is written here")
    threads = args.threads or cpp["threads"]
    repeats = args.repeats or cpp["repeats"]
    model_batch = args.model_batch or cpp["model_batch"]
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    import av  # noqa: E402
    import torch  # noqa: E402
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models  # noqa: E402

    torch.set_num_threads(threads)
    load_before = os.getloadavg()[0]
    net = models.DefaultDetector().eval()
    weights_error = load_weights(torch, net, manifest["checkpoint"])
    if weights_error:
        print(f"  random weights (speed does not depend on them): {weights_error}",
              file=sys.stderr)
    if args.memory_format == "channels_last":
        net.model = net.model.to(memory_format=torch.channels_last)
    prep = manifest["preprocessing"]
    pipeline = Pipeline(torch, av, net, prep, args.memory_format, model_batch)
    videos = manifest["videos"]
    print(f"detect_pipeline: {len(videos)} videos, {threads} threads, torch {torch.__version__},"
          f" BLAS {loaded_blas()}, {args.memory_format}, model batch {model_batch}; "
          f"load average {load_before:.2f}", file=sys.stderr, flush=True)

    checks = None
    if not args.skip_checks:
        checks = check(pipeline, videos, cpp.get("probabilities", {}), weights_error is None)
        print(f"  checks: {json.dumps(checks)}", file=sys.stderr, flush=True)

    faces_ms = {v["path"]: v["faces_ms"] for v in videos}
    # Warm-up (first allocations, oneDNN's kernel selection), untimed.
    tracks, *_ = pipeline.preprocess(videos[0])
    pipeline.score(tracks)

    def single_pass():
        stages = {"decode_ms": 0.0, "crop_ms": 0.0, "model_ms": 0.0}
        start, cpu_start = time.perf_counter(), cpu_seconds()
        for video in videos:
            tracks, _, decode_ms, crop_ms = pipeline.preprocess(video)
            t = time.perf_counter()
            pipeline.score(tracks)
            stages["model_ms"] += 1000 * (time.perf_counter() - t)
            stages["decode_ms"] += decode_ms
            stages["crop_ms"] += crop_ms
        seconds = (time.perf_counter() - start) / len(videos)
        cpu = (cpu_seconds() - cpu_start) / len(videos)
        return seconds, cpu, {k: v / len(videos) for k, v in stages.items()}

    batch_videos = [videos[i % len(videos)] for i in range(cpp["batch"])]

    def batch_pass():
        start, cpu_start = time.perf_counter(), cpu_seconds()
        all_tracks = []
        for video in batch_videos:
            tracks, *_ = pipeline.preprocess(video)
            all_tracks.extend(tracks)
        pipeline.score(all_tracks)
        n = len(batch_videos)
        return (time.perf_counter() - start) / n, (cpu_seconds() - cpu_start) / n

    single, single_cpu, single_stages, batch, batch_cpu = [], [], [], [], []
    for r in range(repeats):
        seconds, cpu, stages = single_pass()
        single.append(seconds)
        single_cpu.append(cpu)
        single_stages.append(stages)
        print(f"  single, pass {r + 1}/{repeats}: {seconds:.3f} s per video (without faces)",
              file=sys.stderr, flush=True)
    for r in range(repeats):
        seconds, cpu = batch_pass()
        batch.append(seconds)
        batch_cpu.append(cpu)
        print(f"  batch of {len(batch_videos)}, pass {r + 1}/{repeats}: {batch[-1]:.3f} s per "
              f"video (without faces)", file=sys.stderr, flush=True)

    median_single = statistics.median(single)
    stages = min(single_stages, key=lambda s: abs(sum(s.values()) / 1000 - median_single))
    faces_single = statistics.mean(faces_ms[v["path"]] for v in videos) / 1000
    faces_batch = statistics.mean(faces_ms[v["path"]] for v in batch_videos) / 1000
    py_single = median_single + faces_single
    py_batch = statistics.median(batch) + faces_batch
    # dlib's face finding is one-thread work: its CPU time is its wall time.
    py_single_cpu = statistics.median(single_cpu) + faces_single
    py_batch_cpu = statistics.median(batch_cpu) + faces_batch
    result = {
        "implementation": "PyTorch (tools/pytorch_ref/detect_pipeline.py)",
        "videos": len(videos),
        "threads": threads,
        "repeats": repeats,
        "model_batch": model_batch,
        "memory_format": args.memory_format,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "torch": torch.__version__,
        "blas": loaded_blas(),
        "weights": "checkpoint" if weights_error is None else "random",
        "checks": checks,
        "faces_seconds_added_single": round(faces_single, 4),
        "faces_seconds_added_batch": round(faces_batch, 4),
        "single_seconds_per_video": round(py_single, 4),
        "single_seconds_without_faces": round(median_single, 4),
        "single_passes_without_faces": [round(x, 4) for x in single],
        "single_stages": {k: round(v, 1) for k, v in stages.items()},
        "batch": len(batch_videos),
        "batch_seconds_per_video": round(py_batch, 4),
        "batch_passes_without_faces": [round(x, 4) for x in batch],
        "single_cpu_seconds_per_video": round(py_single_cpu, 4),
        "batch_cpu_seconds_per_video": round(py_batch_cpu, 4),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    if "single_seconds_per_video" in cpp:
        result["ratio_single"] = round(py_single / cpp["single_seconds_per_video"], 3)
        result["ratio_batch"] = round(py_batch / cpp["batch_seconds_per_video"], 3)
        result["ratio_single_cpu"] = round(py_single_cpu / cpp["single_cpu_seconds_per_video"], 3)
        result["ratio_batch_cpu"] = round(py_batch_cpu / cpp["batch_cpu_seconds_per_video"], 3)
        result["ratio_model_single"] = round(
            stages["model_ms"] / cpp["single_stages"]["model_ms"], 3)
    with open(os.path.join(args.work_dir, "pytorch_results.json"), "w") as file:
        json.dump(result, file, indent=1)
    if "ratio_single" not in result:
        print(json.dumps(result))
        return
    cs = cpp["single_stages"]
    print(f"\nseconds per {cpp['seconds_per_clip']:.0f}-second video, preset {manifest['preset']},"
          f" {prep['frames']} frames, {len(videos)} clips, {threads} threads")
    print(f"{'':20}{'C++':>9}{'PyTorch':>10}{'ratio':>8}   CPU s: {'C++':>7}{'PyTorch':>9}"
          f"{'ratio':>7}")
    for name, key, py, py_cpu in (("single (1 video)", "single", py_single, py_single_cpu),
                                  (f"batch of {len(batch_videos)}", "batch", py_batch,
                                   py_batch_cpu)):
        print(f"{name:20}{cpp[key + '_seconds_per_video']:9.3f}{py:10.3f}"
              f"{result['ratio_' + key]:8.2f}          {cpp[key + '_cpu_seconds_per_video']:7.3f}"
              f"{py_cpu:9.3f}{result['ratio_' + key + '_cpu']:7.2f}")
    print(f"single, by stage (ms):  C++ decode {cs['decode_ms']:.0f} (faces found meanwhile), "
          f"faces {cs['faces_ms']:.0f}, crops {cs['crop_ms']:.0f}, model {cs['model_ms']:.0f}")
    print(f"                        PyTorch decode {stages['decode_ms']:.0f}, faces "
          f"{1000 * faces_single:.0f} (dlib, our one-thread figure), crops "
          f"{stages['crop_ms']:.0f}, model {stages['model_ms']:.0f} "
          f"(model ratio {result['ratio_model_single']:.2f})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
