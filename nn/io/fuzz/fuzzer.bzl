"""nn_io_fuzzer: a libFuzzer binary and a corpus replay test for one nn/io parser."""

def nn_io_fuzzer(name, deps, corpus, valid):
    """Declares `<name>_fuzzer` (clang + libFuzzer; tagged manual, so not in //...) and
    `<name>_fuzzer_replay_test`, which runs every file of `corpus` through the same
    FuzzOneInput with any compiler: none may crash, and those named in `valid` must parse.

    Args:
      name: the target's name; its source is <name>_fuzzer.cc.
      deps: the parser's libraries.
      corpus: labels of the inputs: seeds (good and hostile) and inputs that once failed.
      valid: file names of the known-good seeds among them, which must keep parsing.
    """
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        srcs = [name + "_fuzzer.cc", "libfuzzer_entry.cc"],
        copts = ["-fsanitize=fuzzer"],
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":fuzz_target"] + deps,
    )
    native.cc_test(
        name = name + "_fuzzer_replay_test",
        size = "small",
        srcs = [name + "_fuzzer.cc", "replay_main.cc"],
        args = ["--valid=" + ",".join(valid)] + ["$(locations %s)" % c for c in corpus],
        data = corpus,
        deps = [
            ":fuzz_target",
            "@absl//:strings",
        ] + deps,
    )
