#!/usr/bin/python3
"""Load benchmark of the dashboard (issue 14, "Proof"): N concurrent uploads of real clips
against one `deepfake serve` on loopback, each client polling its analysis until it is
finished; optionally a kill -9 and restart of the server once half are done. Checks that all
N results are stored once each (the API's list and the SQLite file), finished, and equal to
`deepfake detect` of the same file (verdict, P(fake) within 1e-6); reports upload->done
latency (p50, p95, max: mostly waiting in the queue when N exceeds the workers), the
analysis time alone (the server's started_at -> finished_at), throughput, the server's peak RSS and the machine's load. Prints a
JSON summary; exits 1 when a check fails.

  bazel run //serve/web/loadtest:dashboard_load -- --clips_dir /work/shared/data/real_faces
      [--uploads 50] [--workers 2] [--restart [--restart_after_s 0.5]]
      [--model_path M | --preset small]

Not a test: speed depends on the machine (and on whatever else runs on it).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.abspath("serve/web/loadtest"))
import dashboard_harness as dh  # noqa: E402

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deepfake", required=True, help="the deepfake binary (BUILD passes it)")
    p.add_argument("--make_model", required=True, help="tests:make_test_model (BUILD)")
    p.add_argument("--landmarks", required=True, help="dlib's 68-landmark model (BUILD)")
    p.add_argument("--clips_dir", default="train/testdata/videos",
                   help="the real clips to upload, cycled (default: the fixture clips)")
    p.add_argument("--uploads", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=0, help="client threads; 0 = uploads")
    p.add_argument("--workers", type=int, default=2, help="the server's analysis threads")
    p.add_argument("--threads", type=int, default=1, help="the server's --threads")
    p.add_argument("--queue_capacity", type=int, default=64)
    p.add_argument("--model_path", default="", help="default: random weights of --preset")
    p.add_argument("--preset", default="small")
    p.add_argument("--restart", action="store_true",
                   help="kill -9 the server once half the analyses are done, restart it")
    p.add_argument("--restart_after_s", type=float, default=0,
                   help="with --restart: kill this many seconds after the first upload "
                        "instead (e.g. 0.5: while uploads are still streaming in)")
    p.add_argument("--work_dir", default="", help="default: a new temporary folder")
    p.add_argument("--output_file", default="", help="also write the JSON summary here")
    args = p.parse_args()
    # The CLI resolves relative paths against BUILD_WORKING_DIRECTORY: pass absolute ones.
    for name in ("deepfake", "make_model", "landmarks"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    wd = os.environ.get("BUILD_WORKING_DIRECTORY")  # bazel run: user paths are theirs
    for name in ("clips_dir", "model_path", "work_dir", "output_file"):
        value = getattr(args, name)
        if wd and value and not os.path.isabs(value) and not os.path.exists(value):
            setattr(args, name, os.path.join(wd, value))
    return args


def percentile(values, q):
    s = sorted(values)
    if not s:
        return None
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def iso_seconds(text):
    """Seconds since the epoch of an API timestamp ("2026-12-01T06:12:03.120Z")."""
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class MemoryWatch(threading.Thread):
    """Samples the server's RSS every 50 ms; `peak` is the highest VmHWM/VmRSS seen over
    every process the server ran as (restarts included)."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.stopped = server, 0, threading.Event()

    def sample(self):
        try:
            m = self.server.memory()
            self.peak = max(self.peak, m.get("hwm", 0), m.get("rss", 0))
        except (OSError, AttributeError):
            pass

    def run(self):
        while not self.stopped.wait(0.05):
            self.sample()


def main():
    args = parse_args()
    clips = sorted(os.path.abspath(os.path.join(args.clips_dir, f)) for f in os.listdir(args.clips_dir)
                   if f.lower().endswith(VIDEO_EXTENSIONS))
    if not clips:
        sys.exit(f"--clips_dir {args.clips_dir}: no video files in it")
    work = args.work_dir or tempfile.mkdtemp(prefix="dashboard_load_")
    os.makedirs(work, exist_ok=True)
    model = args.model_path
    if not model:
        model = os.path.join(work, f"{args.preset}.safetensors")
        subprocess.run([args.make_model, model, args.preset, "5", "0.5"], check=True,
                       stdout=subprocess.DEVNULL)
    flags = ["--model_path", model, "--landmark_model", args.landmarks, "--device", "cpu",
             "--threads", str(args.threads)]

    # The reference: `deepfake detect` of every distinct clip, once.
    t = time.monotonic()
    ref_file = os.path.join(work, "reference.json")
    cli = subprocess.run([args.deepfake, "detect", *flags, "--batch_paths", *clips,
                          "--output_file", ref_file], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    if not os.path.exists(ref_file):
        sys.exit(f"deepfake detect (exit {cli.returncode}) wrote no {ref_file}:\n"
                 f"{cli.stderr[-3000:]}")
    reference = {r["path"]: r for r in json.load(open(ref_file))}
    print(f"reference: deepfake detect of {len(clips)} clips in {time.monotonic() - t:.1f} s",
          file=sys.stderr, flush=True)

    data_dir = os.path.join(work, "data")
    server = dh.ServerProcess(
        args.deepfake, data_dir,
        flags + ["--workers", str(args.workers), "--queue_capacity", str(args.queue_capacity)],
        os.path.join(work, "serve.log"))
    server.start()
    watch = MemoryWatch(server)
    watch.start()
    client = dh.Client(server.port)
    jobs = [{"name": f"load{i:03d}_{os.path.basename(clips[i % len(clips)])}",
             "path": clips[i % len(clips)]} for i in range(args.uploads)]
    rejected = []
    errors = []
    start = time.monotonic()

    def client_thread(batch):
        for job in batch:
            try:
                job["t0"] = time.monotonic()
                summary = client.upload_retrying(job["name"], job["path"], deadline_s=600,
                                                 on_503=lambda h: rejected.append(1))
                job["id"] = summary["id"]
                job["t_ack"] = time.monotonic()
                job["final"] = client.wait_done(job["id"], deadline_s=1200, poll_s=0.1)
                job["t1"] = time.monotonic()
            except Exception as e:  # noqa: BLE001 (reported in the summary)
                errors.append(f"{job['name']}: {e}")

    concurrency = args.concurrency or args.uploads
    threads = [threading.Thread(target=client_thread, args=(jobs[i::concurrency],))
               for i in range(concurrency)]
    for th in threads:
        th.start()

    restart = None
    if args.restart:
        if args.restart_after_s > 0:
            time.sleep(max(0, start + args.restart_after_s - time.monotonic()))
        while (args.restart_after_s <= 0 and
               sum(1 for j in jobs if "t1" in j) < args.uploads // 2 and not errors):
            time.sleep(0.05)
        acked = sum(1 for j in jobs if "id" in j)
        watch.sample()
        in_flight = sum(1 for j in jobs if "t1" not in j)
        killed_at = time.monotonic()
        server.kill()
        server.start(timeout=120)
        restart = {"at_s": round(killed_at - start, 2), "unfinished_at_kill": in_flight,
                   "uploads_acknowledged_at_kill": acked,
                   "down_s": round(time.monotonic() - killed_at, 2)}
        print(f"restart: kill -9 at {restart['at_s']} s with {in_flight} unfinished, "
              f"back after {restart['down_s']} s", file=sys.stderr, flush=True)
    for th in threads:
        th.join()
    wall = time.monotonic() - start
    watch.sample()
    watch.stopped.set()

    # Checks: stored once each, finished, equal to the CLI.
    problems = list(errors)
    items, total = client.list_all()
    rows = dh.sqlite_rows(os.path.join(data_dir, "history.sqlite3"))
    ids = [j.get("id") for j in jobs]
    if total != args.uploads or len(items) != args.uploads:
        problems.append(f"the list has {total} (items {len(items)}), expected {args.uploads}")
    if len(set(a["id"] for a in items)) != len(items):
        problems.append("the list repeats an id")
    names = [a["file_name"] for a in items]
    if sorted(names) != sorted(j["name"] for j in jobs):
        problems.append("the list's file names differ from the uploads'")
    if set(rows) != set(i for i in ids if i):
        problems.append(f"SQLite has {len(rows)} rows for {len(set(ids))} uploads")
    mismatches = 0
    for j in jobs:
        final, ref = j.get("final"), reference.get(j["path"])
        if not final or not ref:
            continue
        if final["status"] != "done":
            problems.append(f"{j['name']}: {final['status']} {final.get('reason')}")
        same = final["verdict"] == ref["verdict"] and (
            final["fake_probability"] == ref["fake_probability"] or
            (final["fake_probability"] is not None and ref["fake_probability"] is not None and
             abs(final["fake_probability"] - ref["fake_probability"]) < 1e-6))
        if not same:
            mismatches += 1
            problems.append(f"{j['name']}: {final['verdict']} {final['fake_probability']}, "
                            f"deepfake detect: {ref['verdict']} {ref['fake_probability']}")
    code = server.stop()
    if code != 0:
        problems.append(f"deepfake serve exited with {code} on SIGTERM")

    latencies = [j["t1"] - j["t0"] for j in jobs if "t1" in j]
    # The analysis itself (the server's started_at -> finished_at; the last attempt's).
    service = [iso_seconds(j["final"]["finished_at"]) - iso_seconds(j["final"]["started_at"])
               for j in jobs if j.get("final") and j["final"].get("started_at")
               and j["final"].get("finished_at")]
    acks = [j["t_ack"] - j["t0"] for j in jobs if "t_ack" in j]
    verdicts = {}
    for j in jobs:
        if j.get("final"):
            verdicts[j["final"]["verdict"]] = verdicts.get(j["final"]["verdict"], 0) + 1
    summary = {
        "uploads": args.uploads, "concurrency": concurrency, "distinct_clips": len(clips),
        "clips_dir": args.clips_dir, "upload_mb": round(
            sum(os.path.getsize(j["path"]) for j in jobs) / 2**20, 1),
        "model": {"path": model, "preset": reference[clips[0]]["model"].get("preset")},
        "server": {"workers": args.workers, "threads": args.threads,
                   "queue_capacity": args.queue_capacity},
        "stored": total, "done": sum(1 for j in jobs if j.get("final", {}).get("status") == "done"),
        "lost": args.uploads - len(rows), "duplicated": len(items) - len(set(names)),
        "mismatches_vs_cli": mismatches, "rejected_503": len(rejected), "verdicts": verdicts,
        "latency_s": {"p50": round(percentile(latencies, 0.5) or 0, 2),
                      "p95": round(percentile(latencies, 0.95) or 0, 2),
                      "max": round(max(latencies, default=0), 2),
                      "upload_ack_p95": round(percentile(acks, 0.95) or 0, 3),
                      "analysis_p50": round(percentile(service, 0.5) or 0, 2),
                      "analysis_p95": round(percentile(service, 0.95) or 0, 2)},
        "wall_s": round(wall, 1),
        "analyses_per_min": round(len(latencies) / wall * 60, 1) if wall else None,
        "peak_rss_mb": round(watch.peak / 2**20, 1),
        "restart": restart,
        "rerun_after_restart": sum(1 for r in rows.values() if r["attempts"] > 1),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in
                                                                os.getloadavg()]},
        "problems": problems[:20],
        "ok": not problems,
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.output_file:
        with open(args.output_file, "w") as f:
            f.write(text + "\n")
    sys.exit(0 if not problems else 1)


if __name__ == "__main__":
    main()
