#!/bin/bash
# An AVX-512 copy of a kernel (gemm_eigen.h, flat_correlate.h) defines no global code symbol
# that its AVX2 copy also defines, and none outside the names it is allowed: otherwise the
# linker could keep the 512-bit version of a shared (weak, template or inline) function for
# both copies, and an AVX2-only CPU would run 512-bit code.
#
#   isa_symbols_test.sh ALLOWED_REGEX ARCHIVES...   (the copies' libNAME_avx2.a / _avx512.a)
set -euo pipefail
allowed="$1"
shift
avx2="" avx512=""
for f in "$@"; do
  case "$f" in
    *_avx2.a) avx2="$f" ;;
    *_avx512.a) avx512="$f" ;;
  esac
done
[[ -n "$avx2" && -n "$avx512" ]] || { echo "archives not found in: $*"; exit 1; }
code() { nm --defined-only --extern-only "$1" | awk 'NF == 3 && $2 ~ /^[TWiu]$/ {print $3}' | sort -u; }
code "$avx2" > "$TEST_TMPDIR/avx2"
code "$avx512" > "$TEST_TMPDIR/avx512"
shared=$(comm -12 "$TEST_TMPDIR/avx2" "$TEST_TMPDIR/avx512")
if [[ -n "$shared" ]]; then
  echo "code symbols defined by both copies:"; echo "$shared" | c++filt; exit 1
fi
stray=$(grep -Ev "$allowed" "$TEST_TMPDIR/avx512" || true)
if [[ -n "$stray" ]]; then
  echo "AVX-512 code outside $allowed:"; echo "$stray" | c++filt; exit 1
fi
[[ -s "$TEST_TMPDIR/avx512" ]] || { echo "no code symbols in $avx512"; exit 1; }
echo "ok: $(wc -l < "$TEST_TMPDIR/avx512") AVX-512 code symbols in $(basename "$avx512"), none shared"
