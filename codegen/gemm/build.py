"""Compiling the gemm module once per process and registering its entry points.

Like the thread pool (`codegen/parallel.py`): the IR is built with llvmlite, compiled by an
MCJIT engine of its own (kept for the life of the process, so the addresses stay valid), and
each `fj_gemm_<dtype>` (and `fj_gemm_<dtype>_epi`) is registered with `llvm.add_symbol`. Compiled user functions, and
object code from the disk cache, then link against the fixed names. Each dtype's module is
built on first use (most programs need one), for the host CPU's name and features.
"""

from __future__ import annotations

import threading
import time

import llvmlite.binding as llvm
import llvmlite.ir as ir

from .. import target
from ..llvmtypes import F32, F64
from . import driver, params, split

_lock = threading.Lock()
_engines: dict[str, object] = {}      # dtype name -> engine (never freed)
_addresses: dict[str, int] = {}       # dtype name -> entry address
#: Seconds each module took to build and compile (for tests and the report).
COMPILE_SECONDS: dict[str, float] = {}


def module_ir(name: str, isa: str | None = None, threaded: bool = False) -> str:
    """The LLVM IR text of the gemm module for dtype `name` (`"f32"`/`"f64"`); `threaded`:
    large products use the thread pool (`split.py`)."""
    cfg = params.blocking(name, isa)
    if cfg is None:
        raise RuntimeError(f"flowjit: no gemm kernel for {name} on this CPU")
    module = ir.Module(name=f"fj_gemm_{name}")
    module.triple = target.TRIPLE
    module.data_layout = target.data_layout()
    driver.emit_gemm(module, cfg, F32 if name == "f32" else F64, threaded)
    return str(module)


def _target_machine(cpu: str | None = None) -> llvm.TargetMachine:
    """The host's machine, or (tests) another CPU with its default features.

    Code generation at -O1: the IR is already the code we want (see `_optimize`), and the
    greedy register allocator still runs; measured on Zen 5, 512^3 float32 runs as fast as at
    -O3 and the module compiles 10% faster (a matmul's first call pays this compile)."""
    features = target.FEATURES if cpu is None else ""
    return llvm.Target.from_triple(target.TRIPLE).create_target_machine(
        cpu=cpu or target.CPU, features=features, opt=1, reloc="default",
        codemodel="jitdefault", jit=True)


def _optimize(mod: llvm.ModuleRef) -> None:
    """Nothing: the IR already is the code we want (explicit vectors and FMAs, no loops for
    LLVM to vectorize or unroll, addresses as GEPs from induction pointers). Measured: even the
    O1 module pipeline doubles the compile time (40 ms) for no change in speed; the code
    generator's own IR passes (loop strength reduction, CodeGenPrepare) still run at -O3."""


def compile_module(name: str, isa: str | None = None, cpu: str | None = None,
                   threaded: bool = False):
    """`(engine, address of fj_gemm_<name>)` for a fresh compile of the `name` module for `isa`
    (default: the host's) and LLVM CPU `cpu` (default: the host). Nothing is registered; keep
    the engine alive while calling. `threaded` needs `pool_threads()` first."""
    mod = llvm.parse_assembly(module_ir(name, isa, threaded))
    mod.verify()
    _optimize(mod)
    engine = llvm.create_mcjit_compiler(mod, _target_machine(cpu))   # owns mod and the tm
    engine.finalize_object()
    sym = f"fj_gemm_{name}"
    addr = engine.get_function_address(sym)
    if not addr:
        raise RuntimeError(f"flowjit: {sym} did not compile")
    return engine, addr


def pool_threads() -> bool:
    """Start the thread pool and register its thread count as `fj_pool_threads` for the gemm's
    split (`split.py`); False where there is no native pool (the gemm then stays serial)."""
    from .. import parallel
    parallel.install_pool()
    if parallel._engine is None or not parallel._threads_addr:
        return False
    llvm.add_symbol(split.POOL_THREADS, parallel._threads_addr)
    return True


def install(name: str) -> int:
    """Compile the `name` module if needed, register `fj_gemm_<name>` and
    `fj_gemm_<name>_epi`; return the address of `fj_gemm_<name>`."""
    with _lock:
        if name in _addresses:
            return _addresses[name]
        t0 = time.perf_counter()
        engine, addr = compile_module(name, threaded=pool_threads())
        llvm.add_symbol(f"fj_gemm_{name}", addr)
        for entry in (f"fj_gemm_{name}_epi", f"fj_gemm_{name}_post"):
            address = engine.get_function_address(entry)
            if not address:
                raise RuntimeError(f"flowjit: {entry} did not compile")
            llvm.add_symbol(entry, address)
        _engines[name] = engine
        _addresses[name] = addr
        COMPILE_SECONDS[name] = time.perf_counter() - t0
        return addr


def asm(name: str, isa: str | None = None, cpu: str | None = None) -> str:
    """The machine code of the `name` module, as text (tests look for zmm FMAs)."""
    mod = llvm.parse_assembly(module_ir(name, isa))
    _optimize(mod)
    tm = target.asm_target_machine() if cpu is None else _target_machine(cpu)
    return tm.emit_assembly(mod)
