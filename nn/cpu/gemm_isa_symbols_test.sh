#!/bin/bash
# The AVX-512 copy of Eigen's SGEMM defines no global code symbol outside its renamed Eigen
# namespace except its own function, and none that the AVX2 copy also defines: otherwise
# the linker could keep the 512-bit version of a shared template for both copies, and an
# AVX2-only CPU would run 512-bit code (gemm_eigen.h).
set -euo pipefail
avx2="" avx512=""
for f in "$@"; do
  case "$f" in
    *libgemm_eigen_avx2.a) avx2="$f" ;;
    *libgemm_eigen_avx512.a) avx512="$f" ;;
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
stray=$(grep -v 'nn_eigen_avx512' "$TEST_TMPDIR/avx512" | grep -v 'SgemmEigenAvx512' || true)
if [[ -n "$stray" ]]; then
  echo "AVX-512 code outside the renamed Eigen:"; echo "$stray" | c++filt; exit 1
fi
[[ -s "$TEST_TMPDIR/avx512" ]] || { echo "no code symbols in $avx512"; exit 1; }
echo "ok: $(wc -l < "$TEST_TMPDIR/avx512") AVX-512 code symbols, none shared"
