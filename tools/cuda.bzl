"""CUDA as an opt-in build: `cuda_library` compiles .cu files with nvcc.

Without --config=cuda every target made here is incompatible, so `bazel test //...` skips
it and nothing needs nvcc. With it, each .cu file becomes an object through a genrule
running nvcc, and a cc_library links the objects with the CUDA runtime. Headers listed in
`hdrs` must be plain C++ (no CUDA types), so that .cc callers compile with g++ alone.
"""

load("@cuda//:cuda_config.bzl", "CUDA_FOUND", "CUDA_MISSING", "NVCC")

# Real code for Turing..Hopper, plus Hopper PTX that newer GPUs JIT-compile.
CUDA_ARCHS = ["75", "80", "86", "89", "90"]
CUDA_PTX_ARCH = "90"

NVCC_FLAGS = [
    "-O3",
    "-std=c++17",
    "-lineinfo",
    "-Xcompiler=-fPIC,-Wall",
    "-I.",
    "-I$(GENDIR)",
] + ["-gencode=arch=compute_%s,code=sm_%s" % (a, a) for a in CUDA_ARCHS] + [
    "-gencode=arch=compute_%s,code=compute_%s" % (CUDA_PTX_ARCH, CUDA_PTX_ARCH),
]

def if_cuda(if_true, if_false = []):
    """Selects `if_true` under --config=cuda, `if_false` otherwise."""
    return select({
        "//tools:cuda_enabled": if_true,
        "//conditions:default": if_false,
    })

def cuda_only():
    """target_compatible_with value for targets that exist only under --config=cuda."""
    return if_cuda([], ["//tools:cuda_build_required"])

def cuda_library(name, srcs, hdrs = [], nvcc_hdrs = [], deps = [], **kwargs):
    """A cc_library whose sources are .cu files compiled by nvcc.

    Args:
      name: target name.
      srcs: .cu files of this package.
      hdrs: the library's public plain-C++ headers (also visible to nvcc).
      nvcc_hdrs: other headers the .cu files include (labels of header files).
      deps: cc_library dependencies of the C++ side.
      **kwargs: passed to cc_library (visibility, testonly, ...).
    """
    objects = []
    for src in srcs:
        if not src.endswith(".cu"):
            fail("cuda_library %s: %s is not a .cu file" % (name, src))
        obj = "_nvcc/%s/%s.o" % (name, src[:-len(".cu")])
        if CUDA_FOUND:
            # A temporary folder per action: nvcc names its temporaries by process id, which
            # is the same (2) in every sandbox's PID namespace, so parallel nvcc runs sharing
            # /tmp overwrite each other's files.
            cmd = "tmp=$$(mktemp -d) && TMPDIR=$$tmp %s %s -c $(location %s) -o $@; status=$$?; rm -rf $$tmp; exit $$status" % (NVCC, " ".join(NVCC_FLAGS), src)
        else:
            cmd = "echo 'cuda_library %s: CUDA toolkit incomplete (missing %s); --config=cuda needs CUDA 13 + cuDNN 9, or set CUDA_PATH' >&2; exit 1" % (name, CUDA_MISSING)
        native.genrule(
            name = "%s_nvcc_%s" % (name, src[:-len(".cu")].replace("/", "_")),
            srcs = [src] + hdrs + nvcc_hdrs,
            outs = [obj],
            cmd = cmd,
            message = "nvcc %s" % src,
            target_compatible_with = cuda_only(),
            visibility = ["//visibility:private"],
            testonly = kwargs.get("testonly", False),
        )
        objects.append(obj)
    native.cc_library(
        name = name,
        srcs = objects,
        hdrs = hdrs,
        deps = deps + ["@cuda//:cudart"],
        linkstatic = True,
        target_compatible_with = cuda_only(),
        **kwargs
    )
