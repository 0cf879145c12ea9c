#!/usr/bin/env bash
# Runs `deepfake faces` as a user would: crops and faces.json for a real clip, the first-N
# sampling, relative paths under `bazel run` (BUILD_WORKING_DIRECTORY), and a clear non-zero
# exit for a missing file, a file that is not a video, bad flags, a live source with no face
# and a silent FIFO; `deepfake help`, unknown commands and flags (exit 2).
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

# Under `bazel run` the binary runs in its runfiles tree; relative paths are the user's, from
# BUILD_WORKING_DIRECTORY.
user_dir="$TEST_TMPDIR/user"
mkdir -p "$user_dir/models"
cp "$clip" "$user_dir/clip.mp4"
ln -s "$(cd "$(dirname "$model")" && pwd)/$(basename "$model")" "$user_dir/models/landmarks.dat"
deepfake_abs="$(cd "$(dirname "$deepfake")" && pwd)/$(basename "$deepfake")"
(cd / && BUILD_WORKING_DIRECTORY="$user_dir" "$deepfake_abs" faces --video_path clip.mp4 \
    --out_dir relative_out --landmark_model models/landmarks.dat --frames 4 >/dev/null) \
  || fail "relative paths under BUILD_WORKING_DIRECTORY"
[[ -f "$user_dir/relative_out/faces.json" ]] || fail "relative --out_dir not under $user_dir"
grep -q "\"path\": \"$user_dir/clip.mp4\"" "$user_dir/relative_out/faces.json" \
  || fail "faces.json path is not the resolved one"

expect_error() {  # expect_error STATUS PATTERN ARGS...
  local expected="$1" pattern="$2"; shift 2
  local status=0 errors
  errors="$("$deepfake" faces "$@" --landmark_model "$model" --out_dir "$out/err" 2>&1 \
            >/dev/null)" || status=$?
  [[ $status -eq $expected ]] || fail "exit $status (expected $expected) for $*: $errors"
  [[ "$errors" == *"$pattern"* ]] || fail "expected '$pattern' in: $errors"
  echo "ok ($status): $errors"
}
expect_error 1 "/no/such/video.mp4" --video_path /no/such/video.mp4
printf 'not a video\n' >"$TEST_TMPDIR/text.mp4"
expect_error 1 "$TEST_TMPDIR/text.mp4" --video_path "$TEST_TMPDIR/text.mp4"
expect_error 2 "missing required flag --video_path" --video_path ""
expect_error 2 "usage: deepfake faces" --video_path ""
expect_error 2 "--sampling: unknown frame sampling 'random' (allowed: evenly, first, every)" \
    --video_path "$clip" --sampling random
expect_error 2 "--upsample must be 0 to 3 (got 5)" --video_path "$clip" --upsample 5
expect_error 2 "--preset: unknown model preset 'resnet'; known presets: default, jadhav2020" \
    --video_path "$clip" --preset resnet
expect_error 2 "unknown flag '--frame' (did you mean '--frames'?)" --video_path "$clip" \
    --frame 4
expect_error 2 "unknown flag '--device'" --video_path "$clip" --device cpu
# Live inputs: an endless lavfi source (libavdevice, as for --input_format v4l2) ends at
# --max_decoded_frames and has no face; a FIFO nobody writes to times out instead of hanging.
live='testsrc2=size=640x360:rate=25'
expect_error 1 "$live: no face found in any of 8 sampled frames" --video_path "$live" \
    --input_format lavfi --frames 8 --max_decoded_frames 50
expect_error 1 "x: unknown input format 'nosuch'" --video_path x --input_format nosuch
mkfifo "$TEST_TMPDIR/silent.fifo"
expect_error 1 "$TEST_TMPDIR/silent.fifo: timed out after 1 s" \
    --video_path "$TEST_TMPDIR/silent.fifo" --timeout_seconds 1
# Help: the commands with the exit codes, and each command's flags with defaults.
help="$("$deepfake" help)" || fail "deepfake help exited $?"
for pattern in "  faces " "  help " "Exit codes: 0 success; 1 the command failed" "2 bad usage"; do
  [[ "$help" == *"$pattern"* ]] || fail "deepfake help lacks '$pattern': $help"
done
faces_help="$("$deepfake" help faces)" || fail "deepfake help faces exited $?"
for pattern in "--video_path=STRING  (required)" "--out_dir=PATH  (required)" \
               "--detect_max_side=INT  (default: 640)" "--keyframes  (default: false)" \
               "Common flags:" "--preset=STRING  (default: \"default\")" "--threads=INT"; do
  [[ "$faces_help" == *"$pattern"* ]] || fail "deepfake help faces lacks '$pattern'"
done
[[ "$("$deepfake" faces --help)" == "$faces_help" ]] || fail "faces --help differs from help faces"
status=0
errors="$("$deepfake" facse 2>&1 >/dev/null)" || status=$?
[[ $status -eq 2 && "$errors" == *"unknown command 'facse' (did you mean 'faces'?)"* ]] \
  || fail "unknown command (exit $status): $errors"
echo PASS
