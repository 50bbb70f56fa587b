"""The machine a run happens on: thread pinning, hardware facts, versions, copy bandwidth.

``pin_threads`` must run before NumPy (or any peer) is imported, because BLAS, OpenMP, Numba
and XLA read their thread counts once, at import or first use. So this module imports NumPy
only inside the functions that need it.
"""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# Every knob the libraries we load read for their thread-pool size.
_THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def pin_threads(n: int) -> list[int]:
    """Limit this process to ``n`` threads and ``n`` cores; returns the CPUs kept.

    Sets the thread-count environment variables of OpenMP, MKL, OpenBLAS, Numba, TensorFlow
    and XLA (XLA has no count variable: ``--xla_cpu_multi_thread_eigen=false`` plus
    ``intra_op_parallelism_threads`` in ``XLA_FLAGS``), then restricts the CPU affinity to the
    first ``n`` CPUs currently allowed, so even libraries that ignore the variables cannot
    spread. Raises ``RuntimeError`` if NumPy is already imported, since the variables would
    then come too late to affect its BLAS.
    """
    if "numpy" in sys.modules:
        raise RuntimeError("pin_threads must be called before numpy is imported")
    if n < 1:
        raise ValueError(f"--threads must be >= 1, got {n}")
    for var in _THREAD_ENV_VARS:
        os.environ[var] = str(n)
    xla = os.environ.get("XLA_FLAGS", "")
    extra = f"--xla_cpu_multi_thread_eigen={'false' if n == 1 else 'true'} "
    extra += f"intra_op_parallelism_threads={n}"
    os.environ["XLA_FLAGS"] = (xla + " " + extra).strip()
    allowed = sorted(os.sched_getaffinity(0))
    keep = allowed[:n]
    os.sched_setaffinity(0, keep)
    return keep


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (falls back to ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(threads: int | None) -> dict:
    """CPU model, logical core count, cores this process may use, memory, OS, thread setting,
    and the 1-minute load average (call it at the start of the run)."""
    info = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "threads_setting": threads if threads is not None else "default (unpinned)",
        "platform": platform.platform(),
        # Other processes on the machine skew absolute times (ratios less so, thanks to the
        # interleaved rounds): the report shows this so a reader can judge the numbers.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def _version(module: str) -> str | None:
    """A module's ``__version__`` if it is importable, else None (never raises)."""
    try:
        return getattr(importlib.import_module(module), "__version__", "unknown")
    except Exception:  # noqa: BLE001 - a broken peer install must not stop the run
        return None


def versions(flowjit_version: str | None = None) -> dict:
    """Versions of python, numpy, llvmlite and every peer (None when not installed).

    Peers are imported here only if the run already imported them or they are cheap; this is
    called after the adapters have loaded whatever is available.
    """
    out = {
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "llvmlite": _version("llvmlite"),
        "numba": _version("numba") if _importable("numba") else None,
        "jax": _version("jax") if _importable("jax") else None,
        "jaxlib": _version("jaxlib") if _importable("jaxlib") else None,
        "tensorflow": sys.modules["tensorflow"].__version__ if "tensorflow" in sys.modules else None,
        "flowjit": flowjit_version,
        "flowjit_commit": git_commit(),
    }
    return out


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def git_commit() -> str | None:
    """Short commit of the repository the suite runs from (with ``+dirty``), or None."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5,
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def copy_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 7) -> dict:
    """Memory bandwidth of a NumPy copy, in GB/s (10**9 bytes), median of ``repeats``.

    Counts read + write (2 x nbytes per copy), the same convention ``Workload.bytes_moved``
    uses, so "fraction of copy bandwidth" compares like with like. The buffers are far larger
    than any cache and are touched once before timing so page faults are excluded. NumPy's
    copy is single-threaded: with several cores a multithreaded kernel may exceed 100%.
    """
    import numpy as np

    src = np.ones(nbytes // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        np.copyto(dst, src)
        times.append(time.perf_counter_ns() - t0)
    times.sort()
    median_ns = times[len(times) // 2]
    return {
        "gb_per_s": 2 * src.nbytes / median_ns,  # bytes per ns == GB/s
        "bytes": src.nbytes,
        "median_ms": median_ns / 1e6,
        "method": "np.copyto of float64 buffers, read + write counted",
    }
