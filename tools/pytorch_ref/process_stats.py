"""What the PyTorch benchmark scripts report about their own process."""
import resource


def loaded_blas():
    """The BLAS library this process actually mapped (Debian switches it by alternatives)."""
    with open("/proc/self/maps") as maps:
        text = maps.read()
    for name in ("openblas", "blis", "mkl", "atlas"):
        if name in text:
            return name
    return "reference"


def cpu_seconds():
    """User + system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
