#!/usr/bin/python3
"""Two `deepfake serve` processes share one PostgreSQL and one data_dir (issue 18): the real
binary with a random-weight `tiny` checkpoint, a real PostgreSQL 15 started for the test
(serve/web/testing/postgres.sh: initdb into /tmp, 127.0.0.1 only).

30 fixture clips are uploaded, alternately to server A and server B. Once A is analysing
one, A is killed with SIGKILL and not restarted: B must take that job over once its lease
(--lease_seconds 2) expires. At the end every upload is done exactly once, none lost:
through the API (B's list: 30 ids, once each, all done; A's results and thumbnails are
served by B from the shared data_dir) and through SQL (psql: 30 rows, 30 results, the killed
job attempted twice and finished by B, every other job once; both servers did work).

Args (from BUILD): DEEPFAKE MAKE_TEST_MODEL LANDMARK_MODEL POSTGRES_SH CLIP...
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.abspath("serve/web/loadtest"))
import dashboard_harness as dh  # noqa: E402

DEEPFAKE, MAKE_MODEL, LANDMARKS, POSTGRES_SH = sys.argv[1:5]
CLIPS = sys.argv[5:]
TMP = os.environ.get("TEST_TMPDIR") or os.path.abspath("tmp_fleet")
UPLOADS = 30
LEASE_S = 2


check, ok, wait_for = dh.check, dh.ok, dh.wait_for


def psql(url, sql):
    """Rows of one statement, each a list of text fields."""
    out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url,
                          "-c", sql], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def main():
    started = time.monotonic()
    os.makedirs(TMP, exist_ok=True)
    pg = subprocess.run([POSTGRES_SH, "start", str(os.getpid())], check=True,
                        capture_output=True, text=True).stdout.split()
    server_url, pg_dir = pg[0], pg[1]
    servers = []
    try:
        psql(server_url, "CREATE DATABASE fleet")
        url = server_url.rsplit("/", 1)[0] + "/fleet"
        run(url, servers)
    except BaseException:
        for name, server in servers:
            print(f"--- server {name} log:\n{server.log()}", file=sys.stderr)
        raise
    finally:
        for _, server in servers:
            server.kill()
        subprocess.run([POSTGRES_SH, "stop", pg_dir], check=False)
    ok(f"PASS in {time.monotonic() - started:.1f} s")


def run(url, servers):
    model = os.path.join(TMP, "tiny.safetensors")
    subprocess.run([MAKE_MODEL, model, "tiny", "5", "0.5"], check=True, stdout=subprocess.DEVNULL)
    shared = os.path.join(TMP, "shared")  # the shared filesystem (NFS in production)
    common = ["--model_path", model, "--landmark_model", LANDMARKS, "--device", "cpu",
              "--threads", "1", "--workers", "1", "--database", url,
              "--lease_seconds", str(LEASE_S), "--max_attempts", "2"]
    # A database that cannot be reached: a clear error naming the URL, never the password.
    bad = subprocess.run([DEEPFAKE, "serve", "--port", "0", "--data_dir", shared,
                          "--model_path", model, "--database",
                          "postgresql://deepfake:s3cret@127.0.0.1:1/fleet"],
                         capture_output=True, text=True, timeout=60)
    check(bad.returncode == 1 and "postgresql://deepfake@127.0.0.1:1/fleet" in bad.stderr
          and "s3cret" not in bad.stderr + bad.stdout,
          f"unreachable database: exit {bad.returncode}, stderr {bad.stderr!r}")
    ok(f"unreachable database refused: {bad.stderr.strip()}")

    a = dh.ServerProcess(DEEPFAKE, shared, common, os.path.join(TMP, "serve_a.log"))
    b = dh.ServerProcess(DEEPFAKE, shared, common, os.path.join(TMP, "serve_b.log"))
    servers += [("A", a), ("B", b)]
    a.start()
    b.start()
    check(psql(url, "SELECT MAX(version) FROM schema_version") == [["1"]],
          "the schema is not at version 1")
    ok(f"servers A (pid {a.pid}) and B (pid {b.pid}) on {url}, data_dir {shared}")
    clients = {"A": dh.Client(a.port), "B": dh.Client(b.port)}

    names = {}  # id -> file name
    uploaded_to = {"A": 0, "B": 0}
    for i in range(UPLOADS):
        target = "A" if i % 2 == 0 else "B"
        clip = CLIPS[i % len(CLIPS)]
        name = f"{i:02d}_{os.path.basename(clip)}"
        status, _, body = clients[target].upload(name, clip, os.path.getsize(clip))
        check(status == 202, f"upload {name} to {target}: {status} {body!r}")
        names[body["analyses"][0]["id"]] = name
        uploaded_to[target] += 1
    ok(f"{UPLOADS} uploads acknowledged: {uploaded_to}")

    # A is killed while it analyses something, after it finished a few. What A held is read
    # after the kill (A may have moved on between the query and the signal); if A was
    # between two jobs then, it is restarted (a new pid, a new worker name) and killed again.
    a_pids = []
    killed_job = None
    for _ in range(3):
        a_pids.append(a.pid)

        def a_busy():
            rows = psql(url, "SELECT COUNT(*) FILTER (WHERE state = 'done'), COUNT(*) FILTER "
                             f"(WHERE state = 'running') FROM analyses WHERE worker LIKE "
                             f"'%:{a.pid}:%'")
            return int(rows[0][0]) >= 3 and int(rows[0][1]) == 1

        wait_for(a_busy, "server A to run an analysis after finishing 3")
        a.kill()
        held = psql(url, "SELECT id, worker, lease_expires_ms FROM analyses WHERE state = "
                         f"'running' AND worker LIKE '%:{a.pid}:%'")
        if held:
            killed_job, dead_worker, lease_expired_ms = held[0][0], held[0][1], int(held[0][2])
            break
        a.start()
    check(killed_job is not None, "server A was never killed mid-analysis")
    ok(f"server A killed (SIGKILL) while analysing {names[killed_job]} as {dead_worker}")

    # B alone finishes everything, the dead server's job once its lease has expired.
    b_client = clients["B"]
    results = {}
    for analysis_id in names:
        results[analysis_id] = b_client.wait_done(analysis_id, deadline_s=240)
    for analysis_id, analysis in results.items():
        check(analysis["status"] == "done",
              f"{names[analysis_id]}: {analysis['status']} {analysis.get('reason')} "
              f"{analysis.get('message')}")
        check(analysis["file_name"] == names[analysis_id], f"{analysis_id}: wrong file name")
        check(analysis["verdict"] in ("REAL", "FAKE", "UNDETERMINED"), f"{analysis}")
    items, total = b_client.list_all()
    ids = [item["id"] for item in items]
    check(total == UPLOADS and len(ids) == UPLOADS and set(ids) == set(names),
          f"B lists {total} analyses ({len(set(ids))} distinct), expected the {UPLOADS} uploads")
    check(all(item["status"] == "done" for item in items), "not all listed as done")
    ok(f"API: all {UPLOADS} analyses done, each listed once")

    # The database agrees: one row and one result each, attempts exact.
    rows = psql(url, "SELECT a.id, a.state, a.attempts, a.worker, a.file_name, "
                     "(r.id IS NOT NULL) FROM analyses a LEFT JOIN results r ON r.id = a.id")
    check(len(rows) == UPLOADS, f"{len(rows)} rows in analyses, expected {UPLOADS}")
    by_id = {row[0]: row for row in rows}
    check(set(by_id) == set(names), "the rows are not the uploads")
    check(len({row[4] for row in rows}) == UPLOADS, "a file name is recorded twice")
    for analysis_id, state, attempts, worker, _, has_result in rows:
        check(state == "done" and has_result == "t", f"{analysis_id}: {state}, result {has_result}")
        expected_attempts = 2 if analysis_id == killed_job else 1
        check(int(attempts) == expected_attempts,
              f"{names[analysis_id]}: {attempts} attempts, expected {expected_attempts}")
    killed_row = by_id[killed_job]
    check(f":{b.pid}:" in killed_row[3], f"the killed job was finished by {killed_row[3]}, not B")
    rerun_started = int(psql(url, f"SELECT started_ms FROM analyses WHERE id = '{killed_job}'")[0][0])
    check(rerun_started >= lease_expired_ms,
          f"B took the job {lease_expired_ms - rerun_started} ms before A's lease expired")
    done_by_a = [r for r in rows if any(f":{pid}:" in r[3] for pid in a_pids)]
    done_by_b = [r for r in rows if f":{b.pid}:" in r[3]]
    check(done_by_a and done_by_b, f"A finished {len(done_by_a)}, B {len(done_by_b)}: not spread")
    check(len(done_by_a) + len(done_by_b) == UPLOADS, "a job finished by neither server")
    check(psql(url, "SELECT COUNT(*) FROM results") == [[str(UPLOADS)]], "results count")
    ok(f"SQL: {UPLOADS} rows, {UPLOADS} results; A finished {len(done_by_a)} before it died, "
       f"B {len(done_by_b)} (the killed job on attempt 2)")

    # Files on the shared data_dir: B serves what A wrote.
    for row in done_by_a:
        status, headers, body = b_client.request("GET", f"/api/v1/analyses/{row[0]}/thumbnail.png")
        if status == 200:
            check(body[:8] == b"\x89PNG\r\n\x1a\n", "B's thumbnail of A's analysis is not a PNG")
            ok(f"B serves the thumbnail A wrote for {row[4]}")
            break
        check(status == 404, f"thumbnail of {row[4]} from B: {status}")
    victim = done_by_a[0][0]
    status, _, _ = b_client.request("DELETE", f"/api/v1/analyses/{victim}")
    check(status in (200, 204), f"DELETE of A's analysis through B: {status}")
    check(not os.path.exists(os.path.join(shared, "analyses", victim)),
          "B's DELETE left A's files on the shared data_dir")
    check(psql(url, f"SELECT COUNT(*) FROM analyses WHERE id = '{victim}'") == [["0"]],
          "the deleted row is still there")
    ok("B deletes A's analysis: row and files gone")

    check(b.stop() == 0, "B did not exit cleanly on SIGTERM")


if __name__ == "__main__":
    main()
