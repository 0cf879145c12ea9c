"""What the dashboard's durability test and load benchmark share: the real `deepfake serve`
process (start on a data_dir and port, wait until /healthz answers, SIGKILL, restart), a
REST API v1 client on the standard library (serve/web/API.md) whose uploads stream from a
file or a generator (never held whole in memory), and the server's memory from /proc.

Standard library only (Debian's /usr/bin/python3): http.client, sqlite3, subprocess.
"""
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import uuid

CSRF_HEADER = ("X-Requested-With", "deepfake")  # API.md "Cross-site requests"


def check(cond, message):
    """An assertion that survives python -O, with the test's message."""
    if not cond:
        raise AssertionError(message)


def ok(message):
    print(f"ok: {message}", flush=True)


def wait_for(predicate, what, timeout=90, poll=0.02):
    """predicate()'s first truthy value within `timeout` seconds, else a failure naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port():
    """A loopback port nothing listens on now (the server is restarted on the same one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_memory(pid):
    """{"rss": bytes, "hwm": peak bytes} of a live process, from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                out["hwm"] = int(line.split()[1]) * 1024
    return out


class ServerProcess:
    """`deepfake serve` on 127.0.0.1:port with data_dir; its stderr/stdout go to log_path.

    args: the extra flags (model, workers, queue capacity, ...), the same on every restart.
    """

    def __init__(self, binary, data_dir, args, log_path, port=None):
        self.binary, self.data_dir, self.args = binary, data_dir, list(args)
        self.log_path = log_path
        self.port = port or free_port()
        self.proc = None
        self.starts = 0

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=60):
        cmd = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--data_dir", self.data_dir, *self.args]
        os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
        log = open(self.log_path, "a")
        log.write(f"\n=== start {self.starts}: {' '.join(cmd)}\n")
        log.flush()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        client = Client(self.port)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"deepfake serve exited with {self.proc.returncode} before "
                                   f"answering /healthz; log:\n{self.log()}")
            try:
                status, _, _ = client.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"deepfake serve did not answer /healthz in {timeout} s; "
                           f"log:\n{self.log()}")

    def memory(self):
        return proc_memory(self.proc.pid)

    def kill(self):
        """SIGKILL (kill -9): no handler runs, nothing is flushed."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def freeze_when(self, db_path, condition, what, timeout=90):
        """Freezes the server (SIGSTOP) at a moment its database satisfies condition(rows)
        (rows as sqlite_rows returns them) and returns those rows; the caller kills it or
        sends SIGCONT. Analyses of the fixture clips take a fraction of a second on an idle
        machine, so a state seen by polling may be gone by the time a signal lands: the
        condition is checked again once the process is stopped, and it resumes if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(sqlite_rows(db_path)):
                self.proc.send_signal(signal.SIGSTOP)
                rows = sqlite_rows(db_path)
                if condition(rows):
                    return rows
                self.resume()
            time.sleep(0.005)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def resume(self):
        """SIGCONT after freeze_when."""
        self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL after `timeout` s; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""


class Client:
    """The REST API v1 on 127.0.0.1:port. Every call returns (status, headers, body) with the
    body parsed as JSON when it is JSON; errors of the transport raise OSError."""

    def __init__(self, port, token=None):
        self.port, self.token = port, token

    def _headers(self, extra=None):
        h = dict([CSRF_HEADER])
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    @staticmethod
    def _parse(resp):
        data = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        if headers.get("content-type", "").startswith("application/json") and data:
            try:
                return resp.status, headers, json.loads(data)
            except ValueError:
                pass
        return resp.status, headers, data

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=self._headers(headers))
            return self._parse(conn.getresponse())
        finally:
            conn.close()

    def get_json(self, path, timeout=30):
        status, _, body = self.request("GET", path, timeout=timeout)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body!r}"[:500])
        return body

    def upload(self, file_name, source, size, timeout=120, chunk=1 << 16, pace=None):
        """POST /api/v1/analyses with one `file` part, streamed: `source` is a path or an
        iterable of bytes chunks totalling `size`. `pace(sent_bytes)` is called after every
        chunk (to throttle or to sample memory). Returns (status, headers, body); a response
        sent before the body is finished (413, 415, 503) is read too."""
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest("POST", "/api/v1/analyses")
            for k, v in self._headers({
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(len(head) + size + len(tail))}).items():
                conn.putheader(k, v)
            conn.endheaders()
            sent = 0
            try:
                conn.send(head)
                for data in _chunks(source, chunk):
                    conn.send(data)
                    sent += len(data)
                    if pace:
                        pace(sent)
                conn.send(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early and closed; its answer is read below
            return self._parse(conn.getresponse())
        finally:
            conn.close()

    def upload_retrying(self, file_name, path, deadline_s=300, on_503=None):
        """Uploads a file, honouring 503 + Retry-After (API.md) until `deadline_s`; returns the
        202 body's first analysis summary. A transport error (the server was killed) is
        retried only once the file name is known not to be recorded (names are unique per
        upload), so an upload is never duplicated."""
        deadline = time.monotonic() + deadline_s
        size = os.path.getsize(path)
        while True:
            try:
                status, headers, body = self.upload(file_name, path, size)
            except OSError:
                found = self.find_by_name(file_name, deadline)
                if found:
                    return found
                status, headers, body = None, {}, None
            if status == 202:
                return body["analyses"][0]
            if time.monotonic() > deadline:
                raise RuntimeError(f"upload {file_name}: gave up; last answer {status} {body!r}")
            if status == 503:
                if on_503:
                    on_503(headers)
                time.sleep(min(float(headers.get("retry-after", "1")), 5))
            elif status is None:
                time.sleep(0.2)
            else:
                raise RuntimeError(f"upload {file_name}: {status} {body!r}"[:500])

    def find_by_name(self, file_name, deadline):
        """The analysis whose file_name is exactly `file_name`, waiting for the server to
        come back; None when there is none."""
        while True:
            try:
                page = self.get_json("/api/v1/analyses?per_page=200&q=" +
                                     _quote(file_name))
                hits = [a for a in page["items"] if a["file_name"] == file_name]
                if len(hits) > 1:
                    raise RuntimeError(f"{file_name} is recorded {len(hits)} times")
                return hits[0] if hits else None
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def wait_done(self, analysis_id, deadline_s=300, poll_s=0.1):
        """Polls GET /api/v1/analyses/{id} until done/failed/canceled (through server
        restarts: transport errors are retried); returns the full analysis."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                a = self.get_json(f"/api/v1/analyses/{analysis_id}")
                if a["status"] in ("done", "failed", "canceled"):
                    return a
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"analysis {analysis_id} not finished in {deadline_s} s")
            time.sleep(poll_s)

    def list_all(self, query=""):
        """Every analysis (all pages), newest first, and the reported total."""
        items, page = [], 1
        while True:
            body = self.get_json(f"/api/v1/analyses?per_page=200&page={page}{query}")
            items += body["items"]
            if len(items) >= body["total"] or not body["items"]:
                return items, body["total"]
            page += 1


def _quote(s):
    from urllib.parse import quote
    return quote(s, safe="")


def _chunks(source, chunk):
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            while True:
                data = f.read(chunk)
                if not data:
                    return
                yield data
    else:
        yield from source


def video_like_bytes(size, chunk=1 << 20):
    """`size` bytes that sniff as MP4 (an `ftyp` box) and decode as nothing: generated
    chunk by chunk, never held whole."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    yield ftyp
    left = size - len(ftyp)
    block = bytes(range(256)) * (chunk // 256)
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


def sqlite_rows(db_path):
    """{id: row dict} of the store's analyses (with result_json from the results table),
    read from the file directly (the server is
    stopped or not: WAL readers do not block it). Opened read-write so that a WAL left by a
    killed server is recovered the way the server itself would; only SELECTs run."""
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT a.*, r.result_json FROM analyses a "
                            "LEFT JOIN results r ON r.id = a.id").fetchall()
        return {r["id"]: dict(r) for r in rows}
    finally:
        conn.close()
