"""flowjit's runtime: tracing cache, JIT engine, calls. Loading it starts the thread pool that
large kernels run on (`runtime/threads.py`; `FLOWJIT_NUM_THREADS`)."""

from . import threads as _threads

_threads.install()
