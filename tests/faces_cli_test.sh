#!/usr/bin/env bash
# Runs `deepfake faces` as a user would: crops and faces.json for a real clip, and a clear
# non-zero exit for a missing file, a file that is not a video and a video with no face.
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
echo PASS
