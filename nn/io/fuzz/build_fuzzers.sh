#!/bin/bash
# Builds the nn/io libFuzzer targets with clang + ASan + UBSan, outside Bazel (the shared
# Bazel server keeps its gcc toolchain), into $OUT_DIR (default /tmp/nn_io_fuzz).
# Usage, from the repository root: nn/io/fuzz/build_fuzzers.sh [target ...]
# Targets: zip_reader pickle safetensors weights_file (default: all).
set -euo pipefail
OUT_DIR=${OUT_DIR:-/tmp/nn_io_fuzz}
CXX=${CXX:-clang++-14}
mkdir -p "$OUT_DIR"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(zip_reader pickle safetensors weights_file)
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -DNN_HAVE_CUDA=0 -I.)
absl=$(pkg-config --cflags --libs absl_status absl_statusor absl_strings absl_str_format)
common=(nn/io/fuzz/libfuzzer_entry.cc nn/io/fuzz/scratch_file.cc nn/io/dtypes.cc)
for target in "${targets[@]}"; do
  case "$target" in
    zip_reader) srcs=(nn/io/zip_reader.cc) ;;
    pickle) srcs=(nn/io/pickle.cc) ;;
    safetensors) srcs=(nn/io/safetensors.cc nn/tensor.cc nn/check.cc) ;;
    weights_file)
      srcs=(nn/io/pytorch_checkpoint.cc nn/io/pickle.cc nn/io/zip_reader.cc
            nn/io/safetensors.cc nn/tensor.cc nn/check.cc) ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  echo "building $OUT_DIR/${target}_fuzzer"
  # shellcheck disable=SC2086
  "$CXX" "${flags[@]}" "nn/io/fuzz/${target}_fuzzer.cc" "${common[@]}" "${srcs[@]}" $absl \
    -o "$OUT_DIR/${target}_fuzzer"
done
