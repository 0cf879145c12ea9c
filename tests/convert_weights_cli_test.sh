#!/bin/bash
# tools/convert_weights as a user runs it, on torchvision's full-size resnext50_32x4d
# state_dict (~100 MB, generated at test time by gen_checkpoint_fixtures.py --parity): the
# report, --verify, refusal of a hostile file, and peak memory: the conversion streams the
# storages, so its peak RSS must stay within 2x the file size.
# Args: <convert_weights binary> <gen_checkpoint_fixtures.py> <exploit.pt fixture>
set -euo pipefail
converter="$1"
generator="$2"
exploit="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null ||
  fail "needs Debian's python3-torch and python3-torchvision (/usr/bin/python3): run tools/setup.sh"
dir="${TEST_TMPDIR:-/tmp}/cli"
/usr/bin/python3 "$generator" --parity "$dir" --only resnext50 2>/dev/null
input="$dir/resnext50.pth"
file_bytes=$(stat -c %s "$input")

# Peak resident memory of the conversion alone (RUSAGE_CHILDREN: the largest waited-for child).
peak_kb=$(/usr/bin/python3 - "$dir/report.txt" "$converter" "--input=$input" --preset=default \
    "--output=$dir/backbone.safetensors" <<'PY'
import resource, subprocess, sys
result = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
open(sys.argv[1], "wb").write(result.stdout)  # the report
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if result.returncode == 0 else -1)
PY
)
[ "$peak_kb" -gt 0 ] || { cat "$dir/report.txt"; fail "conversion failed"; }
cat "$dir/report.txt"
peak_bytes=$((peak_kb * 1024))
echo "peak RSS $((peak_bytes / 1048576)) MiB converting a $((file_bytes / 1048576)) MiB file" \
     "($(awk "BEGIN { printf \"%.2f\", $peak_bytes / $file_bytes }")x)"
if [ -n "${ASAN_OPTIONS:-}" ]; then
  # AddressSanitizer's shadow memory and quarantine inflate RSS: measured, not asserted.
  echo "sanitizer build (ASAN_OPTIONS set): peak RSS not checked"
else
  [ "$peak_bytes" -le $((2 * file_bytes)) ] || fail "peak RSS exceeds 2x the file size"
fi

grep -q "ImageNet classifier" "$dir/report.txt" || fail "report does not mention the skipped fc"
grep -q "fresh init.*lstm\.\*" "$dir/report.txt" || fail "report does not list the fresh LSTM"
grep -q "still lacks trained weights for linear1, lstm" "$dir/report.txt" ||
  fail "report does not say what the target lacks"

"$converter" "--input=$input" --preset=default "--output=$dir/verified.safetensors" \
    "--verify=$dir/resnext50.ref.safetensors" >"$dir/verify.txt" || {
  cat "$dir/verify.txt"; fail "--verify failed"; }
grep "^verify:" "$dir/verify.txt"
grep -q "^verify: max abs difference .* on features \[2, 2048\] .*: OK$" "$dir/verify.txt" ||
  fail "--verify did not report OK"

if "$converter" "--input=$exploit" --preset=default "--output=$dir/exploit.safetensors" \
    2>"$dir/exploit.txt"; then
  fail "the exploit was converted"
fi
grep -q "refusing to load the global 'posix.system'" "$dir/exploit.txt" ||
  { cat "$dir/exploit.txt"; fail "no clear refusal"; }
[ ! -e "$dir/exploit.safetensors" ] || fail "output written for a refused file"
[ ! -e /tmp/deepfake_exploit_ran ] || fail "the exploit ran"
echo PASS
