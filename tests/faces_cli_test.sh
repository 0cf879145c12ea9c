#!/usr/bin/env bash
# Runs `deepfake faces` as a user would: crops and faces.json for a real clip, the first-N
# sampling, and a clear non-zero exit for a missing file, a file that is not a video, bad
# flags, a live source with no face and a silent FIFO.
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

# --sampling=first: the first 6 frames, in order (faces.json's frame_index 0..5).
"$deepfake" faces --video_path "$clip" --out_dir "$out/first" --landmark_model "$model" \
    --frames 6 --sampling first >/dev/null
indices="$(grep -o '"frame_index": *[0-9]*' "$out/first/faces.json" | grep -o '[0-9]*$' | sort -un \
           | tr '\n' ' ')"
[[ "$indices" == "0 1 2 3 4 5 " ]] || fail "--sampling=first gave frame indices: $indices"

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
expect_error "--sampling must be evenly, first or every (got 'random')" --video_path "$clip" \
    --sampling random
expect_error "--upsample must be 0 to 3 (got 5)" --video_path "$clip" --upsample 5
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
