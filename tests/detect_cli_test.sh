#!/usr/bin/env bash
# `deepfake detect` as a user runs it (the real binary, a random-weight tiny checkpoint, the
# fixture clips): help and exit-code documentation, one video (exit 0 / 1 by threshold), a
# batch with a damaged file (exit 3, the rest reported, progress on stderr), JSON / JSONL /
# CSV validated against serve/api/result_schema.json, --annotate (the MP4 decodes: the
# binary analyses it again), --explain PNGs, the shipped model found without --model_path, usage errors (exit
# 2), and --realtime on a lavfi feed ended by Ctrl-C (SIGINT) with its summary.
set -euo pipefail
deepfake="$1" make_model="$2" landmarks="$3" validate="$4" schema="$5"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$TEST_TMPDIR"
real=train/testdata/videos/real_retalking_face2.mp4
fake=train/testdata/videos/fake_retalking_face2.mp4
model="$tmp/tiny.safetensors"
"$make_model" "$model" tiny 5 0.5 >/dev/null
common=(--model_path "$model" --landmark_model "$landmarks" --threads 2 --device cpu)

# run EXPECTED_STATUS ARGS...: runs `deepfake detect ARGS`, stdout in $out, stderr in $err.
run() {
  local expected="$1"; shift
  local status=0
  "$deepfake" detect "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  out="$(cat "$tmp/out")" err="$(cat "$tmp/err")"
  [[ $status -eq $expected ]] ||
    fail "exit $status (expected $expected) for detect $*:"$'\n'"$out"$'\n'"$err"
}
lines() { grep -c . <<<"$1" || true; }

# Help: listed, every flag, the exit codes.
"$deepfake" help | grep -q "^ *detect " || fail "deepfake help does not list detect"
help="$("$deepfake" help detect)"
for flag in --model_path --video_path --batch_paths --batch_dir --output_file \
            --confidence_threshold --realtime --explain --annotate --every --window \
            --max_seconds --input_format --show_window --preset --frames --sampling \
            --threads --device; do
  grep -q -- "$flag" <<<"$help" || fail "deepfake help detect lacks $flag"
done
grep -q "Exit codes: 0 every video was analysed and none is fake; 1 at least one video is" \
  <<<"$help" || fail "help lacks the exit codes: $help"
echo "ok: help"

# One video: one line; the threshold decides REAL (0) or FAKE (1).
run 0 "${common[@]}" --video_path "$real" --confidence_threshold 0.999
[[ $(lines "$out") -eq 1 && "$out" == "REAL  "*"P(fake) 0."*"threshold 0.9990  faces 1  "*"$real" ]] ||
  fail "single video line: $out"
grep -q "model: $model (preset tiny, 4 frames" <<<"$err" || fail "no model line: $err"
run 1 "${common[@]}" --video_path "$real" --confidence_threshold 0
[[ "$out" == "FAKE  "* ]] || fail "threshold 0 is not FAKE: $out"
echo "ok: single video: $out"

# A batch with a damaged file: exit 3 even though others are FAKE; every video reported.
head -c 3000 "$fake" >"$tmp/damaged.mp4"
run 3 "${common[@]}" --batch_paths "$real" "$tmp/damaged.mp4" "$fake" \
    --confidence_threshold 0 --output_file "$tmp/results.json"
[[ $(lines "$out") -eq 3 ]] || fail "batch: expected 3 lines: $out"
sed -n 2p <<<"$out" | grep -q "^UNDETERMINED .*(damaged: $tmp/damaged.mp4" ||
  fail "damaged file line: $out"
sed -n 3p <<<"$out" | grep -q "^FAKE .*$fake" || fail "the video after the damaged one: $out"
grep -q "detect \[" <<<"$err" || fail "no progress bar on stderr: $err"
grep -q "1 of 3 video(s) could not be analysed" <<<"$err" || fail "no count of failures: $err"
echo "ok: batch with a damaged file (exit 3)"

# JSON / JSONL / CSV, validated against the schema.
mkdir -p "$tmp/videos"
cp "$real" "$tmp/videos/a.mp4"; cp "$fake" "$tmp/videos/b.mp4"
run 0 "${common[@]}" --batch_dir "$tmp/videos" --output_file "$tmp/results.jsonl" \
    --confidence_threshold 0.999
[[ $(lines "$(cat "$tmp/results.jsonl")") -eq 2 ]] || fail "JSONL: expected 2 lines"
run 0 "${common[@]}" --batch_dir "$tmp/videos" --output_file "$tmp/results.csv" \
    --confidence_threshold 0.999
[[ "$(head -1 "$tmp/results.csv")" == path,verdict,fake_probability,* ]] || fail "CSV header"
[[ $(lines "$(cat "$tmp/results.csv")") -eq 3 ]] || fail "CSV: expected 3 lines"
grep -q "^$tmp/videos/b.mp4,REAL," "$tmp/results.csv" || fail "CSV row: $(cat "$tmp/results.csv")"
/usr/bin/python3 "$validate" "$schema" "$tmp/results.json" "$tmp/results.jsonl" ||
  fail "results do not validate against the schema"
echo "ok: JSON, JSONL, CSV"

# --annotate: an H.264 MP4 the binary itself can analyse again.
run 1 "${common[@]}" --video_path "$real" --confidence_threshold 0 \
    --annotate "$tmp/annotated.mp4"
grep -q "wrote $tmp/annotated.mp4 (.* frames, 160x216)" <<<"$err" || fail "annotate: $err"
run 1 "${common[@]}" --video_path "$tmp/annotated.mp4" --confidence_threshold 0
echo "ok: annotate: $out"

# Without --model_path: $DEEPFAKE_MODEL, else the shipped model in the binary's runfiles.
rc=0
env -u DEEPFAKE_MODEL "$deepfake" detect --video_path "$real" --landmark_model "$landmarks" \
  >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc -eq 0 || $rc -eq 1 ]] || fail "shipped model: exit $rc: $(cat "$tmp/err")"
grep -q "model: .*models/deepfake_default.safetensors (preset small" "$tmp/err" ||
  fail "shipped model not named: $(cat "$tmp/err")"
rc=0
DEEPFAKE_MODEL="$tmp/none.safetensors" "$deepfake" detect --video_path "$real" \
  >/dev/null 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] || fail "missing DEEPFAKE_MODEL: exit $rc"
grep -q "DEEPFAKE_MODEL=$tmp/none.safetensors: no such model file" "$tmp/err" ||
  fail "missing DEEPFAKE_MODEL message: $(cat "$tmp/err")"
echo "ok: shipped model"

# Usage errors: exit 2 with the reason.
expect_usage_error() {  # expect_usage_error PATTERN ARGS...
  local pattern="$1"; shift
  run 2 "$@"
  [[ "$err" == *"$pattern"* ]] || fail "expected '$pattern' in: $err"
  echo "ok (2): ${err%%$'\n'*}"
}
expect_usage_error "no video: give --video_path" --model_path "$model"
expect_usage_error "give one of --video_path, --batch_paths and --batch_dir" \
    --model_path "$model" --video_path "$real" --batch_dir "$tmp"
expect_usage_error "--confidence_threshold must be a probability" \
    --model_path "$model" --video_path "$real" --confidence_threshold 2
expect_usage_error "unknown format '.xml'" --model_path "$model" --video_path "$real" \
    --output_file "$tmp/r.xml"
expect_usage_error "unknown flag '--vidoe_path' (did you mean '--video_path'?)" \
    --vidoe_path "$real"
expect_usage_error "$tmp/none.safetensors" --model_path "$tmp/none.safetensors" \
    --video_path "$real"

# --realtime on a live lavfi feed (no face), ended by Ctrl-C: a clean summary, exit 0.
"$deepfake" detect "${common[@]}" --realtime --input_format lavfi \
    --video_path "testsrc=size=160x160:rate=25" --every 4 >"$tmp/live.out" 2>"$tmp/live.err" &
pid=$!
# Ctrl-C once it scores (a background job starts with SIGINT ignored until detect sets its
# handler, so an earlier one would be lost).
for _ in $(seq 600); do
  grep -q "frames" "$tmp/live.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 0 ]] || fail "realtime after SIGINT: exit $status: $(cat "$tmp/live.out" "$tmp/live.err")"
grep -q "stopped" "$tmp/live.out" || fail "no summary after SIGINT: $(cat "$tmp/live.out")"
echo "ok: realtime + SIGINT: $(grep summary "$tmp/live.out")"
# --explain: a PNG per face track.
run 1 "${common[@]}" --video_path "$real" --confidence_threshold 0 --explain "$tmp/heatmaps"
[[ "$(head -c 4 "$tmp/heatmaps/real_retalking_face2_track0.png" 2>/dev/null | tail -c 3)" == PNG ]] ||
  fail "no Grad-CAM PNG: $err"
echo "ok: explain"

echo PASS
