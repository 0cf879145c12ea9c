#!/usr/bin/env bash
# `deepfake evaluate` is registered in the binary: listed by `deepfake help`, its help names
# its flags, and missing or contradictory flags exit 2 with the reason. (The evaluation
# itself is tested in serve/evaluate_command_test.cc through the same registry.)
set -euo pipefail
deepfake="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$deepfake" help | grep -q "^ *evaluate " || fail "deepfake help does not list evaluate"
help="$("$deepfake" help evaluate)"
for flag in --model_path --real_paths --fake_paths --manifest --split --out_dir --threshold \
            --cache_dir --threads --device; do
  grep -q -- "$flag" <<<"$help" || fail "deepfake help evaluate lacks $flag"
done
grep -q "3 some videos could not be analysed" <<<"$help" ||
  fail "deepfake help evaluate does not document exit code 3"

expect_usage_error() {  # expect_usage_error PATTERN ARGS...
  local pattern="$1"; shift
  local status=0 errors
  errors="$("$deepfake" evaluate "$@" 2>&1 >/dev/null)" || status=$?
  [[ $status -eq 2 ]] || fail "exit $status (expected 2) for $*: $errors"
  [[ "$errors" == *"$pattern"* ]] || fail "expected '$pattern' in: $errors"
  echo "ok: $errors"
}
expect_usage_error "missing required flag --model_path" --out_dir "$TEST_TMPDIR/out"
expect_usage_error "give either --real_paths/--fake_paths or --manifest, not both" \
    --model_path m.safetensors --out_dir "$TEST_TMPDIR/out" --manifest m.json --real_paths a.mp4
expect_usage_error "unknown flag '--modle_path' (did you mean '--model_path'?)" \
    --modle_path m.safetensors

status=0
errors="$("$deepfake" evaluate --model_path "$TEST_TMPDIR/none.safetensors" \
          --real_paths "$TEST_TMPDIR" --fake_paths "$TEST_TMPDIR" --out_dir "$TEST_TMPDIR/out" \
          2>&1 >/dev/null)" || status=$?
[[ $status -eq 1 ]] || fail "exit $status (expected 1) for an empty folder: $errors"
echo "ok (1): $errors"
echo PASS
