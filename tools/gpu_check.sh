#!/bin/bash
# The GPU check, in two halves, for the machines here: the project's machine builds (it has
# Bazel, the Debian packages and CUDA 13), a GPU machine runs (it has the driver and CUDA's
# libraries but no Bazel and no network).
#
#   tools/gpu_check.sh pack   # here: bazel build --config=cuda of the GPU tests, copied
#                             # with their own shared libraries into gpu_bundle/ (~20 MB)
#   tools/gpu_check.sh run    # there: runs every test in gpu_bundle/ against the GPU,
#                             # then the GPU benchmark (//nn/bench:gpu_bench); writes
#                             # nvidia-smi.txt, summary.txt, tests.log, bench.txt and
#                             # bench.jsonl to $OUT (default gpu_check_out/); exit 1 if any
#                             # test failed
#
# With the `device` tool: run `tools/gpu_check.sh pack`, then
#   run(command="tools/gpu_check.sh run", carry=["gpu_bundle"], timeout_s=300)
# and read summary.txt. Without a GPU every GPU test skips, printing why, so `run` here
# checks the bundle itself (every test starts and skips).
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=gpu_bundle
# The GPU benchmark, and the tests that exercise CUDA kernels: the per-op table (each op with a CUDA kernel against the
# CPU), the whole detector (default and jadhav2020: logits, gradients, ten Adam steps), the
# runtime and elementwise kernels, dispatch, modules and optimizer state on the GPU.
TESTS=(
  //nn/bench:gpu_bench
  //nn/cuda:elementwise_test
  //nn/ops:backend_ops_test
  //nn/models:detector_cuda_test
  //nn/ops:optimizer_ops_test
  //nn/ops/internal:dispatch_test
  //nn:module_test
  //nn/optim:optimizer_state_test
)

pack() {
  bazel build --config=cuda "${TESTS[@]}" || exit 1
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/lib" "$BUNDLE/bin"
  local bin
  bin=$(bazel info --config=cuda bazel-bin 2>/dev/null)
  for t in "${TESTS[@]}"; do
    local path="${t#//}"
    path="$bin/${path/://}"
    cp "$path" "$BUNDLE/bin/" || exit 1
    # Every shared library but glibc's, the C++ runtime's and CUDA's, which come from the
    # GPU machine: the project's own (Bazel links tests dynamically) and Debian's that an
    # Ubuntu image lacks (Abseil).
    ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
      grep -vE '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libcu[A-Za-z]*|libcudnn[A-Za-z_]*|libnccl)\.so' |
      xargs -r cp -n -L -t "$BUNDLE/lib/"
  done
  chmod -R u+w "$BUNDLE"
  du -sh "$BUNDLE"
  echo "packed ${#TESTS[@]} programs into $BUNDLE/ (carry it to the GPU machine; see the header)"
}

run() {
  # At most 8 files come back from the device tool's $OUT: keep to five.
  local out=${OUT:-gpu_check_out}
  mkdir -p "$out"
  [[ -d "$BUNDLE/bin" ]] || { echo "no $BUNDLE/: run 'tools/gpu_check.sh pack' first" >&2; exit 2; }
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed (no driver?)" >> "$out/nvidia-smi.txt"
  # CUDA 13's runtime, cuBLAS and cuDNN: the toolkit's, else wherever the machine has them
  # (e.g. the nvidia-* Python wheels beside PyTorch).
  local libs="$PWD/$BUNDLE/lib"
  for name in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
    local dir=""
    [[ -e "/usr/local/cuda/lib64/$name" ]] && dir=/usr/local/cuda/lib64
    if [[ -z "$dir" ]]; then
      dir=$(dirname "$(find / -xdev -name "$name" 2>/dev/null | head -1)" 2>/dev/null)
    fi
    [[ -n "$dir" && "$dir" != "." && ":$libs:" != *":$dir:"* ]] && libs="$libs:$dir"
  done
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local failed=0
  : > "$out/summary.txt"
  : > "$out/tests.log"
  for test in "$BUNDLE"/bin/*_test; do
    local name log
    name=$(basename "$test")
    log=$(mktemp)
    "$test" > "$log" 2>&1
    local status=$?
    local counts
    counts=$(grep -cE '^\[       OK \]' "$log")/$(grep -cE '^\[  SKIPPED \] [A-Z]' "$log")/$(grep -cE '^\[  FAILED  \] [A-Z]' "$log")
    echo "$name: exit $status, passed/skipped/failed $counts" | tee -a "$out/summary.txt"
    { echo "===== $name (exit $status)"; cat "$log"; } >> "$out/tests.log"
    rm -f "$log"
    [[ $status -eq 0 ]] || failed=1
  done
  # Why tests skipped (gtest prints the reason on the line after "Skipped").
  grep -h -A1 ": Skipped$" "$out/tests.log" | grep -v -e ": Skipped$" -e "^--$" | sort | uniq -c |
    sort -rn | head -8 >> "$out/summary.txt"
  if [[ -x "$BUNDLE/bin/gpu_bench" ]]; then
    "$BUNDLE/bin/gpu_bench" --repeats=5 --json_out="$out/bench.jsonl" > "$out/bench.txt" 2>&1 ||
      echo "gpu_bench failed: see bench.txt" | tee -a "$out/summary.txt"
    cat "$out/bench.txt"
  fi
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >> "$out/summary.txt"
  exit $failed
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
