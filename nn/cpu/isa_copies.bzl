"""isa_copies: a CPU kernel compiled once for the x86-64-v3 baseline and once for AVX-512, and
the nm check that the two copies share no code."""

# The instruction sets of the AVX-512 copies (UseAvx512Kernels in gemm.h checks the CPU for
# the same four).
AVX512_COPTS = [
    "-mavx512f",
    "-mavx512dq",
    "-mavx512bw",
    "-mavx512vl",
]

def isa_symbols_test(name, kernel, allowed):
    """Declares `<name>`, running isa_symbols_test.sh on the static archives of the
    cc_libraries `<kernel>_avx2` and `<kernel>_avx512` (copied out by a genrule: a cc_library
    in `data` brings only its shared library).

    Args:
      name: the test's name.
      kernel: the libraries' common prefix, e.g. "gemm_eigen".
      allowed: an extended regex of the only global code symbols the AVX-512 archive may define.
    """
    archives = name + "_archives"
    native.genrule(
        name = archives,
        testonly = True,
        srcs = [":" + kernel + "_avx2", ":" + kernel + "_avx512"],
        outs = [
            "%s/lib%s_avx2.a" % (archives, kernel),
            "%s/lib%s_avx512.a" % (archives, kernel),
        ],
        cmd = "for f in $(SRCS); do case $$f in *.a) cp $$f $(RULEDIR)/%s/;; esac; done" % archives,
    )
    native.sh_test(
        name = name,
        size = "small",
        srcs = ["isa_symbols_test.sh"],
        args = ["'%s'" % allowed, "$(rootpaths :%s)" % archives],
        data = [":" + archives],
    )

def isa_copies(kernel, allowed, avx512_copts = [], deps = []):
    """Declares `<kernel>_avx2` and `<kernel>_avx512`: private cc_libraries of `<kernel>.inc`
    as included by `<kernel>_avx2.cc` and `<kernel>_avx512.cc`, with the header `<kernel>.h`,
    the second built with AVX512_COPTS; and `<kernel>_symbols_test` (isa_symbols_test).

    Args:
      kernel: the files' common prefix, e.g. "gemm_nn".
      allowed: an extended regex of the only global code symbols the AVX-512 copy may define.
      avx512_copts: more copts for the AVX-512 copy.
      deps: the deps of both copies.
    """
    for isa, copts in [("avx2", []), ("avx512", AVX512_COPTS + avx512_copts)]:
        native.cc_library(
            name = "%s_%s" % (kernel, isa),
            srcs = [kernel + ".inc", "%s_%s.cc" % (kernel, isa)],
            hdrs = [kernel + ".h"],
            copts = copts,
            visibility = ["//visibility:private"],
            deps = deps,
        )
    isa_symbols_test(name = kernel + "_symbols_test", kernel = kernel, allowed = allowed)
