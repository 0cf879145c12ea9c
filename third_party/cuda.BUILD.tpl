# CUDA 13 runtime, cuBLAS, cuDNN 9 and NCCL 2 (from $CUDA_PATH, default /usr/local/cuda).
# Project code calls CUDA only from .cu files compiled by nvcc (tools/cuda.bzl), so these
# targets carry link options only. Without a toolkit they fail when built, saying why.
load(":cuda_config.bzl", "CUDA_FOUND", "CUDA_MISSING")

package(default_visibility = ["//visibility:public"])

genrule(
    name = "cuda_missing",
    outs = ["cuda_missing.h"],
    cmd = "echo 'CUDA toolkit incomplete: missing %s. --config=cuda needs CUDA 13 + cuDNN 9 (set CUDA_PATH if it is not in /usr/local/cuda).' >&2; exit 1" % CUDA_MISSING,
)

_GUARD = [] if CUDA_FOUND else [":cuda_missing.h"]

_RPATH = ["-L%{CUDA_LIB}", "-Wl,-rpath,%{CUDA_LIB}"]

cc_library(
    name = "cudart",
    hdrs = _GUARD,
    linkopts = _RPATH + ["-lcudart"],
)

cc_library(
    name = "cublas",
    hdrs = _GUARD,
    linkopts = _RPATH + ["-lcublas", "-lcublasLt"],
    deps = [":cudart"],
)

cc_library(
    name = "cudnn",
    hdrs = _GUARD,
    linkopts = _RPATH + ["-lcudnn"],
    deps = [":cudart"],
)

# NCCL 2 (nccl.h and libnccl beside the toolkit's): data-parallel training's GPU allreduce.
cc_library(
    name = "nccl",
    hdrs = _GUARD,
    linkopts = _RPATH + ["-lnccl"],
    deps = [":cudart"],
)
