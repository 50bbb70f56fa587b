"""flowjit's runtime. Loading it registers the thread pool large kernels call
(`fj_parallel_for`, see `runtime/threads.py`), so object code from the disk cache resolves it."""

from . import threads as _threads

_threads.install_pool()
