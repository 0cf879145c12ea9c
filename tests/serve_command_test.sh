#!/usr/bin/env bash
# `deepfake serve` as a user runs it: it prints its URL, answers /healthz, analyses a clip
# uploaded with curl, and stops cleanly (exit 0, "stopped") on SIGTERM; a bad flag is a
# usage error (exit 2).
set -euo pipefail
deepfake="$1" write_test_files="$2" landmarks="$3" clip="$4"
work="${TEST_TMPDIR:-$(mktemp -d)}/serve_command"
rm -rf "$work" && mkdir -p "$work"
"$write_test_files" checkpoint tiny "$work/tiny.safetensors" >/dev/null

status=0
errors="$("$deepfake" serve --port 70000 2>&1)" || status=$?
if [[ $status -ne 2 || "$errors" != *"--port must be 0 to 65535"* ]]; then
  echo "FAIL: a bad --port was not a usage error (exit $status): $errors" >&2
  exit 1
fi

"$deepfake" serve --port 0 --model_path "$work/tiny.safetensors" --data_dir "$work/data" \
  --landmark_model "$landmarks" --device cpu >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/out.txt" || true)"
  [[ -n "$url" ]] && break
  kill -0 $pid 2>/dev/null || { echo "FAIL: serve exited: $(cat "$work/err.txt")" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "FAIL: no URL printed" >&2; exit 1; }
echo "serving at $url"

health="$(curl -sf "$url/healthz")"
[[ "$health" == *'"status":"ok"'* ]] || { echo "FAIL: /healthz: $health" >&2; exit 1; }

answer="$(curl -s -H 'X-Requested-With: deepfake' -F "file=@$clip" "$url/api/v1/analyses")"
id="$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["analyses"][0]["id"])' "$answer")"
state=""
for _ in $(seq 1 1200); do
  state="$(curl -s "$url/api/v1/analyses/$id" |
    /usr/bin/python3 -c 'import json,sys; a=json.load(sys.stdin); print(a["status"], a["verdict"])')"
  [[ "$state" == done* || "$state" == failed* || "$state" == canceled* ]] && break
  sleep 0.1
done
[[ "$state" == "done REAL" || "$state" == "done FAKE" ]] || { echo "FAIL: analysis: $state" >&2; exit 1; }
echo "analysed: $state"

kill -TERM $pid
status=0
wait $pid || status=$?
trap - EXIT
if [[ $status -ne 0 ]] || ! grep -q 'stopped' "$work/err.txt"; then
  echo "FAIL: SIGTERM: exit $status, stderr: $(cat "$work/err.txt")" >&2
  exit 1
fi
[[ -f "$work/data/history.sqlite3" ]] || { echo "FAIL: no history database" >&2; exit 1; }
echo PASS
