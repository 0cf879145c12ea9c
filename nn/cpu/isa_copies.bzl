"""isa_symbols_test: the nm check that an AVX-512 kernel copy shares no code with its AVX2 twin."""

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
