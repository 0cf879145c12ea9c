#!/usr/bin/python3
"""Hostile-client probe of a running dashboard (a review tool, not a test): how `deepfake
serve` copes with slow and oversized requests. Prints one JSON object of findings.

  slowloris:   --http_threads connections that send a header line every 2 s and never
               finish; meanwhile, how long GET /healthz takes (or whether it times out)
  huge_header: one 64 KB header line, then 20 000 small header lines (1.3 MB): status
               and the server's RSS growth
  slow_upload: an upload trickling 1 KB/s for 12 s: does the server cut it off, and when
  big_claim:   Content-Length of 100 GB on a multipart POST with no body: status, seconds

  python3 abuse_probe.py --port P --pid PID [--http_threads 8]
"""
import argparse
import json
import socket
import threading
import time

import dashboard_harness as dh


def healthz_seconds(port, timeout=20):
    t = time.monotonic()
    try:
        status, _, _ = dh.Client(port).request("GET", "/healthz", timeout=timeout)
        return status, round(time.monotonic() - t, 2)
    except OSError as e:
        return f"error: {e}", round(time.monotonic() - t, 2)


def slowloris(port, n, seconds=14):
    socks, stop = [], threading.Event()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)

    def trickle():
        i = 0
        while not stop.wait(2):
            for s in socks:
                try:
                    s.sendall(f"X-Slow-{i}: y\r\n".encode())
                except OSError:
                    pass
            i += 1

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    time.sleep(1)
    during = healthz_seconds(port, timeout=seconds)
    stop.set()
    fate = {"still_open": 0, "closed_by_server": 0, "answered": 0}
    for s in socks:
        try:
            s.sendall(b"X-Last: y\r\n")
            s.settimeout(0.5)
            fate["closed_by_server" if s.recv(1) == b"" else "answered"] += 1
        except socket.timeout:
            fate["still_open"] += 1
        except OSError:
            fate["closed_by_server"] += 1
        s.close()
    return {"connections": n, "healthz_during": during, "slow_connections": fate}


def huge_header(port, pid):
    out = {}
    before = dh.proc_memory(pid)["rss"]
    for name, lines in (("one_64k_line", [b"X-Big: " + b"a" * 65536]),
                        ("20000_lines", [f"X-H{i}: {'b' * 60}".encode()
                                         for i in range(20000)])):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"\r\n".join(lines) +
                      b"\r\n\r\n")
            reply = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
        except OSError as e:
            reply = f"error: {e}"
        s.close()
        out[name] = reply
    out["rss_growth_mb"] = round((dh.proc_memory(pid)["rss"] - before) / 2**20, 1)
    return out


def slow_upload(port, seconds=12):
    t = time.monotonic()
    sent = [0]

    def pace(n):
        sent[0] = n
        time.sleep(1.0)
        if time.monotonic() - t > seconds:
            raise BrokenPipeError("probe ends")

    size = 10 << 20
    try:
        status, _, body = dh.Client(port).upload("slow.mp4", dh.video_like_bytes(size, 1024),
                                                 size, chunk=1024, pace=pace, timeout=5)
        result = f"{status} {str(body)[:120]}"
    except OSError as e:
        result = f"error: {e}"
    return {"sent_bytes": sent[0], "seconds": round(time.monotonic() - t, 1), "result": result}


def big_claim(port):
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"POST /api/v1/analyses HTTP/1.1\r\nHost: x\r\nX-Requested-With: deepfake\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 107374182400\r\n\r\n")
        reply = s.recv(300).split(b"\r\n")[0].decode(errors="replace")
    except OSError as e:
        reply = f"error: {e}"
    s.close()
    return {"reply": reply, "seconds": round(time.monotonic() - t, 2)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--http_threads", type=int, default=8)
    a = p.parse_args()
    print(json.dumps({
        "big_claim": big_claim(a.port),
        "huge_header": huge_header(a.port, a.pid),
        "slow_upload": slow_upload(a.port),
        "slowloris": slowloris(a.port, a.http_threads),
        "healthz_after": healthz_seconds(a.port),
    }, indent=2))


if __name__ == "__main__":
    main()
