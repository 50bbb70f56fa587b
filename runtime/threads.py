"""The thread pool large kernels run on (implemented in `flowjit.codegen.parallel`).

Loops that touch at least `codegen.parallel.THRESHOLD_BYTES` run on `num_threads()` threads
(the calling one included): `FLOWJIT_NUM_THREADS` if set, else the number of CPUs this process
may run on (`os.sched_getaffinity`). Results do not depend on the thread count (each element or
row is computed by the same instructions). The pool (native worker threads that run only JIT'd
code and sleep on a futex when idle) is created on first use; after `os.fork()` the child
starts its own workers.
"""

from __future__ import annotations

from ..codegen.parallel import default_num_threads, install_pool, num_threads, set_num_threads

__all__ = ["default_num_threads", "install_pool", "num_threads", "set_num_threads"]
