"""Running a sanitizer-built `_deepfake` extension under /usr/bin/python3.

Under `bazel test --config=asan` the extension needs AddressSanitizer's runtime, which must
be loaded before everything else: the test re-executes itself with LD_PRELOAD set to the
libasan the extension links (and leak checking off: the interpreter itself keeps its
allocations at exit). An interpreter cannot host ThreadSanitizer this way, so under
--config=tsan the test says so and passes without running (the threads of serve::Detector
are covered by //serve/api's TSan test).
"""
import os
import subprocess
import sys


def reexec_if_needed(extension):
    """Call first thing in a test that imports `extension` (the _deepfake .so path)."""
    if os.environ.get("DEEPFAKE_SANITIZER_REEXEC") == "1":
        return
    libraries = {}  # soname -> path
    ldd = subprocess.run(["ldd", extension], stdout=subprocess.PIPE, text=True).stdout
    for line in ldd.splitlines():
        name, _, rest = line.strip().partition(" => ")
        libraries[name.split(".so")[0]] = rest.split(" (")[0].strip()
    if "libtsan" in libraries:
        print(f"SKIPPED: {extension} is built with ThreadSanitizer, which cannot be loaded "
              "into the Python interpreter")
        sys.exit(0)
    if "libasan" in libraries:
        # libstdc++ too: ASan intercepts __cxa_throw only if it is loaded at start-up.
        preload = [libraries["libasan"]] + [libraries[k] for k in ("libstdc++",) if k in libraries]
        env = dict(os.environ, DEEPFAKE_SANITIZER_REEXEC="1", LD_PRELOAD=":".join(preload),
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
