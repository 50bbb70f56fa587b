"""The process-wide MCJIT engine, the compile lock, and the symbols native code calls back.

One engine for the whole process (Numba's pattern, LLVMLITE.md section 4): created from an empty
module with its *own* TargetMachine, never disposed, so every function pointer it hands out stays
valid for the life of the process. Every compile (trace -> optimize -> add_module -> finalize)
runs under `COMPILE_LOCK`.
"""

from __future__ import annotations

import ctypes
import threading

import llvmlite.binding as llvm

from ..codegen import abi
from ..codegen import target as _target   # initializes the native target once

#: Guards the engine and every trace/compile (Numba's `global_compiler_lock`). Re-entrant: a
#: trace may call another `fj.function`, which may compile.
COMPILE_LOCK = threading.RLock()

#: Part of the disk-cache key: object code is only valid on the same target (Numba's magic tuple).
TRIPLE, CPU, FEATURES = _target.TRIPLE, _target.CPU, _target.FEATURES
MAGIC = _target.MAGIC


class _ThreadState(threading.local):
    """Per-thread call state: the error record native code fills, the print sites of the call in
    progress, and an exception raised inside a callback (ctypes cannot propagate it)."""

    def __init__(self):
        self.err = (ctypes.c_int64 * abi.ERR_RECORD_SIZE)()
        self.err_addr = ctypes.addressof(self.err)
        self.print_sites = None
        self.callback_error: BaseException | None = None
        #: While a call with run-time-shaped outputs runs: output index -> (ndim, dtype), and
        #: the arrays `fj_alloc_output` made for it.
        self.alloc_types = None
        self.alloc_results = None


STATE = _ThreadState()

# The engine owns the TargetMachine it is given (using it after the engine is gone segfaults),
# so it gets one of its own; it is a module global and never closed.
_ENGINE = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target.make_target_machine())

# Object code MCJIT emits, by module name, captured while `capture_objects` is on (disk cache).
_captured: dict[str, bytes] = {}
_capturing = False


def _notify(module: llvm.ModuleRef, data: bytes) -> None:
    if _capturing:
        _captured[module.name] = bytes(data)


def _getbuffer(module: llvm.ModuleRef):
    return None   # compile normally; cached objects are loaded with `load_object`


_ENGINE.set_object_cache(_notify, _getbuffer)


def _address(name: str) -> int:
    addr = _ENGINE.get_function_address(name)
    if not addr:
        # llvmlite 0.50 returns 0 for an unknown name; a CFUNCTYPE on 0 would crash.
        raise RuntimeError(f"the JIT engine has no function {name!r} after loading the module")
    return addr


def load(module: llvm.ModuleRef, name: str, capture: bool = False) -> int | tuple[int, bytes]:
    """Give `module` to the engine, finalize it, and return the address of function `name`.

    The engine owns the module from then on (its code generation mutates it, so capture its IR
    text before). With `capture=True`, returns `(address, object code bytes)` for the disk cache.

    Raises:
      RuntimeError: the module does not define `name`.
    """
    global _capturing
    with COMPILE_LOCK:
        _capturing = capture
        try:
            _ENGINE.add_module(module)
            _ENGINE.finalize_object()
        finally:
            _capturing = False
        addr = _address(name)
        if capture:
            return addr, _captured.pop(module.name, b"")
        return addr


def load_object(data: bytes, name: str) -> int:
    """Load ELF object code (from the disk cache) and return the address of function `name`."""
    from ..codegen.lowering.linalg import link_symbols
    with COMPILE_LOCK:
        link_symbols(data)     # gemm/BLAS entry points it calls (an unresolved one aborts)
        if b"fj_buffer_" in data:
            from ..codegen import buffers
            buffers.install()
        _ENGINE.add_object_file(llvm.ObjectFileRef.from_data(data))
        _ENGINE.finalize_object()
        return _address(name)


def load_ir(text: str, name: str) -> int:
    """Parse, verify and load LLVM IR text (small runtime helpers such as trampolines)."""
    module = llvm.parse_assembly(text)
    module.verify()
    return load(module, name)


def triple_and_layout() -> tuple[str, str]:
    """The triple and data layout modules for this engine must carry."""
    return TRIPLE, str(_ENGINE.target_data)


# ---------------------------------------------------------------------------------------------
# fj_print: native code -> Python print (ARCHITECTURE.md: `void fj_print(i64 site, ptr slots)`)

PRINT_CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)


def _fj_print(site: int, slots: int) -> None:
    # An exception cannot cross the native frames: keep the first one, raise it after the call.
    try:
        from .printing import print_site
        sites = STATE.print_sites
        if sites is None:
            raise RuntimeError("fj_print called outside a compiled call")
        print_site(sites[site], slots)
    except BaseException as e:  # noqa: BLE001 - re-raised by the caller after the native call
        if STATE.callback_error is None:
            STATE.callback_error = e


_FJ_PRINT = PRINT_CALLBACK_TYPE(_fj_print)   # kept alive forever: native code holds its address
llvm.add_symbol(abi.PRINT_SYMBOL, ctypes.cast(_FJ_PRINT, ctypes.c_void_p).value)


# ---------------------------------------------------------------------------------------------
# fj_alloc_output: native code -> a NumPy output array whose shape is known only at run time
# (codegen/abi.py `ALLOC_OUTPUT_SYMBOL`).

ALLOC_CALLBACK_TYPE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)


def allocate(shape: tuple, dtype):
    """Allocate one run-time-shaped output (a seam for tests that simulate a failure)."""
    import numpy as np
    return np.empty(shape, dtype)


def _fj_alloc_output(index: int, shape_ptr: int):
    # Never raises into native code: a failure is kept and NULL returned (a status code).
    try:
        types = STATE.alloc_types
        if types is None:
            raise RuntimeError("fj_alloc_output called outside a compiled call")
        ndim, dtype = types[index]
        shape = tuple((ctypes.c_int64 * ndim).from_address(shape_ptr)) if ndim else ()
        if any(n < 0 for n in shape):
            raise ValueError(f"negative dimensions are not allowed (output shape {shape})")
        arr = allocate(shape, dtype)
        STATE.alloc_results[index] = arr
        return arr.__array_interface__["data"][0] or None
    except BaseException as e:  # noqa: BLE001 - re-raised by the caller after the native call
        if STATE.callback_error is None:
            STATE.callback_error = e
        return None


_FJ_ALLOC = ALLOC_CALLBACK_TYPE(_fj_alloc_output)   # kept alive forever
llvm.add_symbol(abi.ALLOC_OUTPUT_SYMBOL, ctypes.cast(_FJ_ALLOC, ctypes.c_void_p).value)
