"""The process-wide thread pool behind `fj_parallel_for` (see `flowjit.codegen.parallel`).

`install()` (called once by `runtime.jit`) compiles the pool's IR with an engine of its own,
registers `fj_parallel_for` for kernels, and starts `num_threads() - 1` native worker threads
(pthreads created through libc; they run only JIT'd code, never Python, and sleep on a futex
when idle). The thread count is `FLOWJIT_NUM_THREADS` if set, else the number of CPUs this
process may run on (`os.sched_getaffinity`); `set_num_threads(n)` changes it at run time (1 runs
every kernel serially). After `os.fork()` the child starts its own workers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading

import llvmlite.binding as llvm

from ..codegen import parallel as _parallel
from ..codegen import target as _target

_lock = threading.Lock()
_engine = None
_worker_addr = 0
_threads_addr = 0
_workers = 0          # native workers started in this process
_requested = 1


def default_num_threads() -> int:
    env = os.environ.get("FLOWJIT_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"FLOWJIT_NUM_THREADS must be a positive integer, got {env!r}") \
                from None
        if n < 1:
            raise ValueError(f"FLOWJIT_NUM_THREADS must be a positive integer, got {env!r}")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _serial_parallel_for():
    """Fallback where the pool is unsupported: run the body on the calling thread."""
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                             ctypes.c_int64)
    body_proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)

    def run(body, ctx, n, align):
        body_proto(body)(ctx, 0, n)

    return proto(run)


_fallback = None


def install() -> None:
    """Compile the pool, register `fj_parallel_for`, start the workers (idempotent)."""
    global _engine, _worker_addr, _threads_addr, _fallback
    with _lock:
        if _engine is not None or _fallback is not None:
            return
        if not _parallel.pool_supported():
            _fallback = _serial_parallel_for()
            llvm.add_symbol(_parallel.PARALLEL_FOR, ctypes.cast(_fallback, ctypes.c_void_p).value)
            return
        tm = _target.make_target_machine()
        text = _parallel.pool_ir(_target.TRIPLE, str(tm.target_data))
        mod = llvm.parse_assembly(text)
        mod.verify()
        engine = llvm.create_mcjit_compiler(mod, tm)   # owns tm; kept forever
        engine.finalize_object()
        pf = engine.get_function_address(_parallel.PARALLEL_FOR)
        _worker_addr = engine.get_function_address("fj_pool_worker")
        _threads_addr = engine.get_global_value_address("fj_pool_threads")
        if not (pf and _worker_addr and _threads_addr):
            raise RuntimeError("flowjit: the thread pool did not compile")
        _engine = engine
        llvm.add_symbol(_parallel.PARALLEL_FOR, pf)
    set_num_threads(default_num_threads())
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork)


def _after_fork() -> None:
    global _workers
    # The child has only the forking thread: the pool's workers are gone.
    _workers = 0
    busy = ctypes.c_int32.from_address(_engine.get_global_value_address("fj_pool_busy"))
    busy.value = 0
    sleepers = ctypes.c_int32.from_address(_engine.get_global_value_address("fj_pool_sleepers"))
    sleepers.value = 0
    try:
        set_num_threads(_requested)
    except Exception:   # noqa: BLE001 - never fail a fork; run serially instead
        ctypes.c_int64.from_address(_threads_addr).value = 1


_libc = None


def _start_worker() -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.pthread_create.argtypes = [ctypes.POINTER(ctypes.c_ulong), ctypes.c_void_p,
                                         ctypes.c_void_p, ctypes.c_void_p]
        _libc.pthread_create.restype = ctypes.c_int
        _libc.pthread_detach.argtypes = [ctypes.c_ulong]
        _libc.pthread_detach.restype = ctypes.c_int
    tid = ctypes.c_ulong()
    # Workers block every signal: they run no Python, and signals must reach Python threads.
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        rc = _libc.pthread_create(ctypes.byref(tid), None, _worker_addr, None)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    if rc != 0:
        raise OSError(rc, f"flowjit: pthread_create failed ({os.strerror(rc)})")
    _libc.pthread_detach(tid.value)


def set_num_threads(n: int) -> None:
    """Use `n` threads (the calling one included) for large kernels; 1 = serial."""
    global _workers, _requested
    n = int(n)
    if n < 1:
        raise ValueError(f"the number of threads must be >= 1, got {n}")
    install()
    _requested = n
    if _engine is None:
        return
    with _lock:
        while _workers < n - 1:
            _start_worker()
            _workers += 1
        ctypes.c_int64.from_address(_threads_addr).value = n


def num_threads() -> int:
    """The number of threads large kernels run on (1 = serial)."""
    install()
    if _engine is None:
        return 1
    return ctypes.c_int64.from_address(_threads_addr).value
