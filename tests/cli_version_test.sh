#!/usr/bin/env bash
# Runs `deepfake --version` and checks its report; `deepfake` with no command must fail.
set -euo pipefail
deepfake="$1"

output="$("$deepfake" --version)"
echo "$output"
for pattern in '^deepfake [0-9]+\.[0-9]+\.[0-9]+$' '^FFmpeg: 5\.1' '^dlib: 19\.24' \
               '^Eigen: 3\.4\.0$' '^CUDA: (not compiled in|compiled in)'; do
  if ! grep -Eq "$pattern" <<<"$output"; then
    echo "FAIL: no line matching '$pattern' in --version output" >&2
    exit 1
  fi
done

if "$deepfake" >/dev/null 2>&1; then
  echo "FAIL: deepfake without a command exited 0" >&2
  exit 1
fi
status=0
errors="$("$deepfake" frobnicate 2>&1 >/dev/null)" || status=$?
if [[ $status -ne 2 || "$errors" != *"unknown command 'frobnicate'"* ]]; then
  echo "FAIL: unknown command not reported (exit $status): $errors" >&2
  exit 1
fi
echo PASS
