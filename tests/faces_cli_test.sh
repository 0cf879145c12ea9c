#!/usr/bin/env bash
# Runs `deepfake faces` as a user would: crops and faces.json for a real clip, and a clear
# non-zero exit for a missing file, a file that is not a video, a live source with no face
# and a silent FIFO.
set -euo pipefail
deepfake="$1"
clip="$2"
model="$3"
out="${TEST_TMPDIR}/faces"

summary="$("$deepfake" faces --video_path "$clip" --out_dir "$out" --landmark_model "$model" \
           --frames 8)"
echo "$summary"
fail() { echo "FAIL: $*" >&2; exit 1; }
grep -q "8 sampled frames, 1 face track(s)" <<<"$summary" || fail "summary: $summary"
[[ -f "$out/faces.json" ]] || fail "no faces.json"
pngs=$(ls "$out"/track0_*.png | wc -l)
[[ "$pngs" -eq 8 ]] || fail "$pngs PNGs, expected 8"
head -c 8 "$(ls "$out"/track0_*.png | head -1)" | od -An -c | grep -q "P   N   G" || fail "not a PNG"
for key in '"tracks"' '"frame_index"' '"timestamp_seconds"' '"box"' '"landmarks"' '"score"' \
           '"crop"'; do
  grep -q "$key" "$out/faces.json" || fail "faces.json lacks $key"
done

expect_error() {  # expect_error PATTERN ARGS...
  local pattern="$1"; shift
  local status=0 errors
  errors="$("$deepfake" faces "$@" --landmark_model "$model" --out_dir "$out/err" 2>&1 \
            >/dev/null)" || status=$?
  [[ $status -ne 0 ]] || fail "exit 0 for $*"
  [[ "$errors" == *"$pattern"* ]] || fail "expected '$pattern' in: $errors"
  echo "ok ($status): $errors"
}
expect_error "/no/such/video.mp4" --video_path /no/such/video.mp4
printf 'not a video\n' >"$TEST_TMPDIR/text.mp4"
expect_error "$TEST_TMPDIR/text.mp4" --video_path "$TEST_TMPDIR/text.mp4"
expect_error "usage: deepfake faces" --video_path ""
# Live inputs: an endless lavfi source (libavdevice, as for --input_format v4l2) ends at
# --max_decoded_frames and has no face; a FIFO nobody writes to times out instead of hanging.
live='testsrc2=size=640x360:rate=25'
expect_error "$live: no face found in any of 8 sampled frames" --video_path "$live" \
    --input_format lavfi --frames 8 --max_decoded_frames 50
expect_error "x: unknown input format 'nosuch'" --video_path x --input_format nosuch
mkfifo "$TEST_TMPDIR/silent.fifo"
expect_error "$TEST_TMPDIR/silent.fifo: timed out after 1 s" \
    --video_path "$TEST_TMPDIR/silent.fifo" --timeout_seconds 1
echo PASS
