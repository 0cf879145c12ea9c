#!/usr/bin/python3
"""The dashboard survives kill -9 and holds under pressure (issue 14, "It must hold"): the
real `deepfake serve` binary with a random-weight `tiny` checkpoint on a temporary data_dir,
on loopback, fed the fixture clips.

1. Memory: one 300 MB upload and four concurrent 64 MB ones (bytes that sniff as MP4) keep
   the server's resident set far below the bytes in flight (uploads stream to disk); each is
   recorded and then fails as unreadable, and its upload is removed.
2. kill -9 mid-analysis: six clips, one worker; SIGKILL once at least one is done and one is
   running. Every job was in SQLite as soon as it was acknowledged; after a restart on the
   same data_dir the finished results are unchanged, the interrupted job is re-run (attempt
   2) to the same answer as `deepfake detect`, the queued ones run, nothing is lost or
   duplicated (the API's list and the SQLite file agree: the same ids, once each). A
   DELETE while an analysis runs removes it from the API, SQLite and disk; the worker goes on.
3. kill -9 with --max_attempts 1, an upload half-streamed: the interrupted job is failed
   with reason "interrupted" instead of re-run; the queued ones still run; the cut upload is
   not recorded and its partial file is removed at the restart.
4. A full queue (--queue_capacity 1): concurrent uploads get 503 with Retry-After; the
   client waits as told and every upload then succeeds, once.
5. SIGTERM: a clean exit (0), and the totals over all restarts are exact.
6. DELETE of everything while an analysis runs (confirm=all required) leaves nothing in the
   API, SQLite or data_dir, and the next upload runs.

Args (from BUILD): DEEPFAKE MAKE_TEST_MODEL LANDMARK_MODEL CLIP...
"""
import os
import sys
import threading
import time
import json
import subprocess

sys.path.insert(0, os.path.abspath("serve/web/loadtest"))
import dashboard_harness as dh  # noqa: E402

DEEPFAKE, MAKE_MODEL, LANDMARKS = sys.argv[1:4]
CLIPS = sys.argv[4:]
TMP = os.environ.get("TEST_TMPDIR") or os.path.abspath("tmp_durability")
TERMINAL = ("done", "failed", "canceled")


check, ok, wait_for = dh.check, dh.ok, dh.wait_for


def states(client):
    items, total = client.list_all()
    check(total == len(items), f"list total {total} != {len(items)} items")
    ids = [a["id"] for a in items]
    check(len(ids) == len(set(ids)), f"the list repeats ids: {ids}")
    return {a["id"]: a for a in items}


def upload_clips(client, db, names_and_paths):
    """Uploads sequentially; every acknowledged id must already be a row in SQLite."""
    ids = {}
    for name, path in names_and_paths:
        status, _, body = client.upload(name, path, os.path.getsize(path))
        check(status == 202, f"upload {name}: {status} {body!r}")
        summary = body["analyses"][0]
        check(summary["file_name"] == name, f"file_name {summary['file_name']!r} != {name!r}")
        rows = dh.sqlite_rows(db)
        check(summary["id"] in rows,
              f"{name}: acknowledged as {summary['id']} but not yet in {db}")
        ids[summary["id"]] = name
    return ids


def main():
    model = os.path.join(TMP, "tiny.safetensors")
    subprocess.run([MAKE_MODEL, model, "tiny", "5", "0.5"], check=True, stdout=subprocess.DEVNULL)
    data_dir = os.path.join(TMP, "data")
    db = os.path.join(data_dir, "history.sqlite3")
    common = ["--model_path", model, "--landmark_model", LANDMARKS, "--device", "cpu",
              "--threads", "1", "--workers", "1", "--max_upload_mb", "1024"]
    server = dh.ServerProcess(DEEPFAKE, data_dir, common + ["--max_attempts", "2"],
                              os.path.join(TMP, "serve.log"))
    try:
        run(server, model, db, common)
    except BaseException:
        print(f"--- server log:\n{server.log()}", file=sys.stderr)
        raise
    finally:
        server.kill()


def run(server, model, db, common):
    server.start()
    client = dh.Client(server.port)
    expected = {}  # id -> file name, every analysis that must exist at the end

    # 1. Memory stays bounded while uploads are in flight.
    base = server.memory()["rss"]
    peak = [base]

    def sample(_sent):
        peak[0] = max(peak[0], server.memory()["rss"])

    big = 300 << 20
    status, _, body = client.upload("big.mp4", dh.video_like_bytes(big), big, pace=sample)
    check(status == 202, f"300 MB upload: {status} {body!r}")
    expected[body["analyses"][0]["id"]] = "big.mp4"
    check(body["analyses"][0]["size_bytes"] == big,
          f"size_bytes {body['analyses'][0]['size_bytes']} != {big}")
    results = []

    def concurrent_upload(i):
        size = 64 << 20
        results.append(client.upload(f"many{i}.mp4", dh.video_like_bytes(size), size,
                                     pace=sample))

    threads = [threading.Thread(target=concurrent_upload, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, _, body in results:
        check(status == 202, f"64 MB upload: {status} {body!r}")
        expected[body["analyses"][0]["id"]] = body["analyses"][0]["file_name"]
    grown = peak[0] - base
    check(grown < 64 << 20,
          f"the server's RSS grew by {grown >> 20} MB while 556 MB were uploaded "
          f"(from {base >> 20} MB): uploads are held in memory")
    ok(f"556 MB uploaded, RSS {base >> 20} MB -> peak {peak[0] >> 20} MB (+{grown >> 20} MB)")
    for analysis_id in list(expected):
        a = client.wait_done(analysis_id, deadline_s=120)
        check(a["status"] == "failed" or a["verdict"] == "UNDETERMINED",
              f"{a['file_name']}: garbage bytes analysed as {a['status']} {a['verdict']}")
        check(a["reason"], f"{a['file_name']}: {a['status']} without a reason")
        check(not a["upload_kept"], f"{a['file_name']}: upload kept without --keep_uploads")
    leftovers = [os.path.join(d, f) for d, _, fs in os.walk(server.data_dir) for f in fs
                 if "sqlite" not in f and os.path.getsize(os.path.join(d, f)) >= 32 << 20]
    check(not leftovers, f"analysed uploads are still on disk: {leftovers}")
    ok("the five garbage uploads failed with a reason and were removed from disk")

    # 2. kill -9 mid-analysis: re-run to the same answer, nothing lost or duplicated.
    six = [(f"clip{i}_{os.path.basename(p)}", p) for i, p in enumerate(CLIPS[:6])]
    batch = upload_clips(client, db, six)
    expected.update(batch)

    def one_done_one_running(rows):
        mine = [rows[i]["state"] for i in batch if i in rows]
        early = any(rows[i]["state"] == "running" and rows[i]["progress"] < 0.5
                    for i in batch if i in rows)
        return mine.count("done") >= 1 and early

    # Frozen at that moment, so that the kill lands while the clip is still running.
    server.freeze_when(db, one_done_one_running, "one of six clips done and one running")
    server.kill()
    before = dh.sqlite_rows(db)
    check(set(expected) <= set(before), f"rows missing after kill: {set(expected) - set(before)}")
    done_before = {i: before[i] for i in batch if before[i]["state"] == "done"}
    interrupted = [i for i in batch if before[i]["state"] == "running"]
    queued = [i for i in batch if before[i]["state"] == "queued"]
    check(done_before and interrupted and queued,
          f"at the kill: {len(done_before)} done, {len(interrupted)} running, "
          f"{len(queued)} queued (need one of each)")
    ok(f"SIGKILL with {len(done_before)} done, {len(interrupted)} running, "
       f"{len(queued)} queued; all {len(before)} rows in SQLite")

    server.start()
    for i in batch:
        client.wait_done(i, deadline_s=120)
    after = dh.sqlite_rows(db)
    listed = states(client)
    check(set(listed) == set(after) == set(expected),
          f"ids differ: API {len(listed)}, SQLite {len(after)}, expected {len(expected)}")
    for i, row in done_before.items():
        for column in ("result_json", "verdict", "fake_probability", "finished_ms", "attempts"):
            check(after[i][column] == row[column],
                  f"{batch[i]}: {column} changed across the restart")
    for i in batch:
        check(listed[i]["status"] == "done", f"{batch[i]}: {listed[i]['status']} after restart "
              f"({listed[i]['reason']}: {listed[i]['message']})")
    victim = interrupted[0]
    check(after[victim]["attempts"] == 2,
          f"the interrupted job ran {after[victim]['attempts']} times, expected 2")
    cli_json = os.path.join(TMP, "cli.json")
    path = dict(six)[batch[victim]]
    subprocess.run([DEEPFAKE, "detect", "--model_path", model, "--landmark_model", LANDMARKS,
                    "--device", "cpu", "--threads", "1", "--video_path", path,
                    "--output_file", cli_json], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    cli = json.load(open(cli_json))[0]
    full = client.get_json(f"/api/v1/analyses/{victim}")
    check(full["verdict"] == cli["verdict"] and
          abs(full["fake_probability"] - cli["fake_probability"]) < 1e-6,
          f"re-run {batch[victim]}: {full['verdict']} {full['fake_probability']}; "
          f"deepfake detect: {cli['verdict']} {cli['fake_probability']}")
    ok(f"after restart: {len(done_before)} results unchanged, the interrupted one re-run "
       f"(attempt 2, {full['verdict']} {full['fake_probability']:.4f} as deepfake detect), "
       f"{len(queued)} queued ones done; {len(after)} ids in API and SQLite, once each")

    # 2b. DELETE while the analysis runs: gone from the API, SQLite and disk; the worker
    # survives and takes the next job.
    doomed = upload_clips(client, db, [("doomed.mp4", CLIPS[0]), ("after.mp4", CLIPS[1])])
    doomed_id, after_id = list(doomed)
    server.freeze_when(db, lambda rows: rows.get(doomed_id, {}).get("state") == "running",
                       "doomed.mp4 running")
    server.resume()  # the DELETE below lands while it runs, or just after it finished
    status, _, body = client.request("DELETE", f"/api/v1/analyses/{doomed_id}")
    check(status == 204, f"DELETE of a running analysis: {status} {body!r}")
    status, _, _ = client.request("GET", f"/api/v1/analyses/{doomed_id}")
    check(status == 404, f"GET after DELETE: {status}")
    expected[after_id] = "after.mp4"
    after_done = client.wait_done(after_id, deadline_s=120)
    check(after_done["status"] == "done", f"after.mp4: {after_done['status']}")
    check(doomed_id not in dh.sqlite_rows(db), "the deleted analysis is still in SQLite")
    leftovers = [d for d, _, _ in os.walk(server.data_dir) if doomed_id in d]
    check(not leftovers, f"the deleted analysis left files behind: {leftovers}")
    check(doomed_id not in states(client), "the deleted analysis is still listed")
    ok("DELETE during analysis: 204, then 404; row and files gone; the next job done")

    # 3. kill -9 again; restarted with --max_attempts 1 the interrupted job fails.
    three = [(f"again{i}_{os.path.basename(p)}", p) for i, p in enumerate(CLIPS[6:9])]
    batch = upload_clips(client, db, three)
    expected.update(batch)
    # ... and one upload still streaming in (cut off by the kill: never recorded).
    cut = []

    def cut_upload():
        size = 64 << 20
        try:
            cut.append(client.upload("cut.mp4", dh.video_like_bytes(size, 1 << 16), size,
                                     chunk=1 << 16, pace=lambda _: time.sleep(0.01)))
        except OSError as e:
            cut.append(e)

    cutter = threading.Thread(target=cut_upload)
    cutter.start()
    parts = lambda: [d for d, _, fs in os.walk(server.data_dir) if "upload.part" in fs]
    wait_for(parts, "the streaming upload's upload.part")
    server.freeze_when(db, lambda rows: any(rows[i]["state"] == "running" and
                                            rows[i]["progress"] < 0.5
                                            for i in batch if i in rows),
                       "one of three clips early in its analysis")
    server.kill()
    cutter.join()
    check(isinstance(cut[0], OSError), f"the cut upload was answered: {cut[0]}")
    before = dh.sqlite_rows(db)
    interrupted = [i for i in batch if before[i]["state"] == "running"]
    check(len(interrupted) == 1, f"{len(interrupted)} running at the kill")
    server.args = common + ["--max_attempts", "1", "--queue_capacity", "1"]
    server.start()
    for i in batch:
        client.wait_done(i, deadline_s=120)
    listed = states(client)
    check(not parts(), f"the cut upload's upload.part survived the restart: {parts()}")
    folders = set(os.listdir(os.path.join(server.data_dir, "analyses")))
    check(folders <= set(listed), f"folders no analysis owns: {folders - set(listed)}")
    check("cut.mp4" not in [a["file_name"] for a in listed.values()], "cut.mp4 was recorded")
    a = listed[interrupted[0]]
    check(a["status"] == "failed" and a["reason"] == "interrupted" and a["message"],
          f"interrupted with --max_attempts 1: {a['status']} {a['reason']} {a['message']}")
    for i in batch:
        if i != interrupted[0]:
            check(listed[i]["status"] == "done", f"{batch[i]}: {listed[i]['status']}")
    ok(f"--max_attempts 1: the interrupted job failed ('{a['message']}'), the rest done; "
       "the upload cut by the kill left nothing")

    # 4. A full queue: 503 + Retry-After, then the client's retry succeeds.
    retry_afters = []
    uploaded = []
    names = [(f"full{i}_{os.path.basename(p)}", p) for i, p in enumerate(CLIPS[:6])]

    def upload(name, path):
        uploaded.append(client.upload_retrying(
            name, path, deadline_s=120,
            on_503=lambda h: retry_afters.append(h.get("retry-after"))))

    threads = [threading.Thread(target=upload, args=np) for np in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(len(uploaded) == len(names), f"{len(uploaded)} of {len(names)} uploads succeeded")
    check(retry_afters, "no 503 from a queue of capacity 1 with 6 concurrent uploads")
    check(all(r and r.isdigit() and int(r) >= 1 for r in retry_afters),
          f"503 without a usable Retry-After: {retry_afters}")
    for a in uploaded:
        expected[a["id"]] = a["file_name"]
        check(client.wait_done(a["id"], deadline_s=120)["status"] == "done",
              f"{a['file_name']} did not finish")
    ok(f"queue full: {len(retry_afters)} answers 503 (Retry-After {sorted(set(retry_afters))}), "
       f"all {len(uploaded)} uploads then accepted and done")

    # 5. SIGTERM exits cleanly; the totals over every restart are exact.
    code = server.stop()
    check(code == 0, f"deepfake serve exited with {code} on SIGTERM")
    rows = dh.sqlite_rows(db)
    check(set(rows) == set(expected),
          f"SQLite has {len(rows)} rows, expected {len(expected)}: "
          f"missing {set(expected) - set(rows)}, extra {set(rows) - set(expected)}")
    names = [r["file_name"] for r in rows.values()]
    check(len(names) == len(set(names)), "a file name is recorded twice")
    ok(f"SIGTERM exit 0; {len(rows)} analyses over {server.starts} starts, each once")

    # 6. Delete all while an analysis runs: nothing is left in the API, SQLite or on disk.
    server.args = common + ["--max_attempts", "2"]
    server.start()
    last = upload_clips(client, db, [(f"last{i}.mp4", p) for i, p in enumerate(CLIPS[:3])])
    server.freeze_when(db, lambda rows: any(rows.get(i, {}).get("state") == "running"
                                            for i in last), "one of the last clips running")
    server.resume()
    status, _, body = client.request("DELETE", "/api/v1/analyses")
    check(status == 400, f"DELETE all without confirm=all: {status} {body!r}")
    status, _, body = client.request("DELETE", "/api/v1/analyses?confirm=all")
    total = len(expected) + len(last)
    check(status == 200 and body == {"deleted": total},
          f"DELETE all: {status} {body!r}, expected {total} deleted")
    wait_for(lambda: client.get_json("/healthz")["running"] == 0, "the worker to stop")
    check(client.list_all() == ([], 0), "analyses listed after DELETE all")
    check(dh.sqlite_rows(db) == {}, "rows left in SQLite after DELETE all")
    left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(server.data_dir,
                                                                     "analyses")) for f in fs]
    check(not left, f"files left after DELETE all: {left}")
    status, _, body = client.upload("fresh.mp4", CLIPS[0], os.path.getsize(CLIPS[0]))
    check(status == 202 and client.wait_done(body["analyses"][0]["id"])["status"] == "done",
          f"an upload after DELETE all: {status} {body!r}")
    check(server.stop() == 0, "deepfake serve did not exit 0 on SIGTERM")
    ok(f"DELETE all during an analysis: {total} deleted, nothing left; the next upload done")


if __name__ == "__main__":
    main()
