"""Multi-threaded execution of large loops: outlining a loop into `void body(ctx, start, end)`
and the process-wide thread pool (`fj_parallel_for`) that runs it in contiguous chunks.

Outlining (`emit_parallel_for`): the loop of a large elementwise/fusion kernel (or the per-row
loop of a fused row-reduction kernel) is emitted into a function of its own,
`void @<entry>.par<k>(ptr ctx, i64 start, i64 end)`, which runs iterations `[start, end)`. The
lowering code emits the loop as usual with the builder moved into that function; values of the
entry function the loop uses (data pointers, 0-d operands, dimensions) are found afterwards by
walking the outlined instructions, and each becomes an 8-byte slot of `ctx` (a stack array the
entry function fills) loaded once in the body's entry block. Stack slots of the entry function
the loop uses (accumulators, scratch rows) are per-call scratch: the body gets its own copies,
so every thread has private ones. The entry function then calls
`fj_parallel_for(@body, ctx, n, align)` when the loop touches at least `THRESHOLD_BYTES`, else
`body(ctx, 0, n)` directly.

Exactness: each iteration runs the same instructions whichever thread runs it and whatever the
chunking (no fast-math reassociation across iterations: reductions stay inside one row), so the
results are bit-identical to the serial loop. Loops that can fail (a status check: integer
division by zero under Python semantics, overflow, bounds, `malloc`) are not outlined: they stay
serial, so the first failure reported is the serial loop's.

The pool (`POOL_IR`, loaded once per process by `flowjit.runtime.threads`): `nthreads - 1`
native worker threads (pthreads, created once) wait on a futex for a new job generation; a job
is split into about `CHUNKS_PER_THREAD * nthreads` chunks whose length is a multiple of `align`
iterations (64 elements: cache-line aligned for every dtype); the caller and the workers claim
chunks with a compare-and-swap on a ticket `(generation << 32) | next chunk`, and the caller
waits until every chunk is done (the barrier). One job runs at a time: a caller that finds the
pool busy (another Python thread's kernel) runs its loop serially, so concurrent calls never
wait on each other and never deadlock. Workers spin briefly after a job (back-to-back kernels
start fast), then sleep, so BLAS calls between our parallel regions find the cores free.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import platform
import signal
import threading
from typing import Callable

import llvmlite.binding as llvm
import llvmlite.ir as ir

from . import target

from .llvmtypes import I1, I64, PTR, i64

#: A loop is split across threads only when it touches at least this many bytes (inputs +
#: outputs); below, thread wake-up and the barrier cost more than they save.
THRESHOLD_BYTES = 256 * 1024

#: Chunks per thread (dynamic load balancing on a busy machine).
CHUNKS_PER_THREAD = 8

#: Element alignment of chunk boundaries of flat elementwise loops (64 elements: a multiple of
#: a 64-byte cache line for every item size, so no two threads write one line).
ELEMENT_ALIGN = 64

#: How long (pause iterations) an idle worker spins before it sleeps on the futex.
SPIN_ITERATIONS = 2000

PARALLEL_FOR = "fj_parallel_for"

BODY_TYPE = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])

_counter = itertools.count()


class _NotOutlinable(Exception):
    pass


def _operand_refs(instr):
    """(getter values, replace(old, new)) for every value operand of `instr`."""
    if isinstance(instr, ir.PhiInstr):
        return [v for v, _ in instr.incomings]
    vals = list(instr.operands)
    if isinstance(instr, ir.GEPInstr):
        vals += [instr.pointer, *instr.indices]
    for attr in ("aggregate", "value"):
        if isinstance(instr, (ir.instructions.ExtractValue, ir.instructions.InsertValue)) and \
                hasattr(instr, attr):
            vals.append(getattr(instr, attr))
    return vals


def _replace(instr, old, new) -> None:
    instr.replace_usage(old, new)
    if isinstance(instr, ir.GEPInstr):
        if instr.pointer is old:
            instr.pointer = new
        instr.indices = [new if i is old else i for i in instr.indices]
    if isinstance(instr, (ir.instructions.ExtractValue, ir.instructions.InsertValue)):
        for attr in ("aggregate", "value"):
            if getattr(instr, attr, None) is old:
                setattr(instr, attr, new)
    if hasattr(instr, "_clear_string_cache"):
        instr._clear_string_cache()


def _owner(v):
    if isinstance(v, ir.Argument):
        return v.parent
    if isinstance(v, ir.Instruction):
        return v.parent.parent if isinstance(v.parent, ir.Block) else None
    return None


def _slot_ok(ty: ir.Type) -> bool:
    return isinstance(ty, (ir.PointerType, ir.FloatType, ir.DoubleType)) or (
        isinstance(ty, ir.IntType) and ty.width <= 64)


def parallel_for_function(fl) -> ir.Function:
    fn = fl.module.globals.get(PARALLEL_FOR)
    if fn is None:
        fn = ir.Function(fl.module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64]),
                         name=PARALLEL_FOR)
    return fn


def emit_parallel_for(fl, count: ir.Value, bytes_per_iter: ir.Value | int,
                      emit_body: Callable[[ir.Value, ir.Value], None], *,
                      align: int = 1) -> bool:
    """Emit `emit_body(start, end)` (a loop over iterations `[start, end)`, emitted with
    `fl.builder`) so that it runs over `[0, count)`, split across the thread pool when the loop
    touches at least `THRESHOLD_BYTES` (`count * bytes_per_iter`).

    `emit_body` may be called twice: if the outlined loop contains a status check (or anything
    else that cannot move into another function), the outlined function is dropped and the
    loop is emitted inline, serially. Returns True if the loop was outlined.
    """
    b = fl.builder
    if (not ENABLED or fl.check_guard is not None or fl.pending_checks is not None
            or _static_small(count, bytes_per_iter)):
        emit_body(i64(0), count)
        return False
    body = _outline(fl, emit_body)
    if body is None:
        emit_body(i64(0), count)
        return False
    fn, captures = body
    # ctx: one 8-byte slot per captured value.
    ctx = fl.alloca(I64, max(len(captures), 1))
    for k, v in enumerate(captures):
        slot = b.gep(ctx, [i64(k)], inbounds=True, source_etype=I64)
        slot.type = PTR     # an opaque pointer: the slot holds a value of any type
        b.store(v, slot)
    if isinstance(bytes_per_iter, int):
        min_iters = i64(-(-THRESHOLD_BYTES // max(bytes_per_iter, 1)))
        big = b.icmp_signed(">=", count, min_iters)
    else:
        big = b.icmp_signed(">=", b.mul(count, bytes_per_iter), i64(THRESHOLD_BYTES))
    install_pool()     # registers the symbol before any engine resolves it
    pf = parallel_for_function(fl)
    with b.if_else(big) as (then, otherwise):
        with then:
            b.call(pf, [fn, ctx, count, i64(align)])
        with otherwise:
            b.call(fn, [ctx, i64(0), count])
    return True


def _static_small(count, bytes_per_iter) -> bool:
    if isinstance(count, ir.Constant) and isinstance(bytes_per_iter, int):
        return count.constant * bytes_per_iter < THRESHOLD_BYTES
    if isinstance(count, ir.Constant) and isinstance(bytes_per_iter, ir.Constant):
        return count.constant * bytes_per_iter.constant < THRESHOLD_BYTES
    return False


def _outline(fl, emit_body):
    """Emit the loop into a new function; None if it cannot be outlined (then nothing of it
    remains in the module)."""
    name = f"{fl.fn.name}.par{next(_counter)}"
    fn = ir.Function(fl.module, BODY_TYPE, name=name)
    ctx, start, end = fn.args
    ctx.name, start.name, end.name = "ctx", "start", "end"
    return outline_function(fl, fn, "loop", lambda: emit_body(start, end))


def outline_function(fl, fn: ir.Function, first_block: str, emit) -> tuple | None:
    """Fill the new function `fn` (first argument: the `ctx` pointer) by running `emit()`
    with `fl`'s builder inside it, from a block named `first_block`; then make it
    self-contained (`_localize`). Returns `(fn, captures)`: the entry function's values it
    uses, to pass through `ctx` in order. None if the code cannot leave the entry function
    (it would need a status check or a `malloc`); then `fn` is removed from the module.
    Shared by parallel loop bodies and matmul epilogues (codegen/lowering/epilogue.py)."""
    b = fl.builder
    parent_block = b.block
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    entry = fn.append_basic_block("entry")
    first = fn.append_basic_block(first_block)
    ir.IRBuilder(entry).branch(first)

    failed = []

    def no_check(*args, **kwargs):
        failed.append(args)

    def no_malloc(*args, **kwargs):
        raise _NotOutlinable("malloc")

    saved = (fl.fn, fl.alloca_block, fl.__dict__.get("check"), fl.__dict__.get("malloc"))
    fl.fn, fl.alloca_block = fn, entry
    fl.check, fl.malloc = no_check, no_malloc
    b.position_at_end(first)
    try:
        emit()
        b.ret_void()
        ok = not failed
    except _NotOutlinable:
        ok = False
    finally:
        fl.fn, fl.alloca_block = saved[0], saved[1]
        for attr, val in (("check", saved[2]), ("malloc", saved[3])):
            if val is None:
                fl.__dict__.pop(attr, None)
            else:
                setattr(fl, attr, val)
        b.position_at_end(parent_block)
    captures: list = []
    if ok:
        ok = _localize(fn, entry, captures)
    if not ok:
        del fl.module.globals[fn.name]
        return None
    return fn, captures


def _localize(fn: ir.Function, entry: ir.Block, captures: list) -> bool:
    """Replace the values of other functions that `fn` uses: stack slots by private copies,
    other values by loads from `ctx` (appending the originals to `captures`)."""
    eb = ir.IRBuilder(entry)
    eb.position_before(entry.terminator)
    ctx = fn.args[0]
    local: dict = {}
    for block in fn.blocks:
        for instr in list(block.instructions):
            for v in _operand_refs(instr):
                if not isinstance(v, (ir.Instruction, ir.Argument)):
                    continue
                if _owner(v) is fn:
                    continue
                if v not in local:
                    if isinstance(v, ir.AllocaInstr):
                        size = v.operands[0] if v.operands else None
                        if size is not None and not isinstance(size, ir.Constant):
                            return False
                        new = eb.alloca(v.allocated_type, size=size)
                        new.align = getattr(v, "align", None)
                    elif _slot_ok(v.type):
                        slot = eb.gep(ctx, [i64(len(captures))], inbounds=True,
                                      source_etype=I64)
                        new = eb.load(slot, typ=v.type)
                        captures.append(v)
                    else:
                        return False
                    local[v] = new
                _replace(instr, v, local[v])
    # Everything must now be local.
    for block in fn.blocks:
        for instr in block.instructions:
            for v in _operand_refs(instr):
                if isinstance(v, (ir.Instruction, ir.Argument)) and _owner(v) is not fn:
                    return False
    return True


#: Off switch for debugging (`flowjit.codegen.parallel.ENABLED = False` before compiling).
ENABLED = True


# ---------------------------------------------------------------------------------------------
# The pool: native code, loaded once per process by `flowjit.runtime.threads`.

def _futex_syscall() -> int | None:
    return {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98}.get(
        platform.machine().lower())


def pool_supported() -> bool:
    return platform.system() == "Linux" and _futex_syscall() is not None


def pool_ir(triple: str = "", data_layout: str = "") -> str:
    """The LLVM IR of the pool: `fj_parallel_for`, `fj_pool_worker` and their state."""
    sys_futex = _futex_syscall() or 202
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    pause = "call void @llvm.x86.sse2.pause()" if x86 else "fence seq_cst"
    pause_decl = "declare void @llvm.x86.sse2.pause()" if x86 else ""
    cpt = CHUNKS_PER_THREAD
    return f"""
target triple = "{triple}"
target datalayout = "{data_layout}"

@fj_pool_gen = global i32 0, align 64
@fj_pool_ticket = global i64 0, align 64
@fj_pool_done = global i64 0, align 64
@fj_pool_body = global ptr null, align 64
@fj_pool_ctx = global ptr null, align 8
@fj_pool_n = global i64 0, align 8
@fj_pool_chunk = global i64 0, align 8
@fj_pool_nchunks = global i64 0, align 8
@fj_pool_busy = global i32 0, align 64
@fj_pool_sleepers = global i32 0, align 64
@fj_pool_threads = global i64 1, align 64
@fj_pool_stop = global i32 0, align 64

declare i64 @syscall(i64, ...)
declare i32 @sched_yield()
{pause_decl}

define internal void @fj_pool_work(i32 %gen) nounwind {{
entry:
  %g64 = zext i32 %gen to i64
  br label %loop
loop:
  %t = load atomic i64, ptr @fj_pool_ticket acquire, align 8
  %tg = lshr i64 %t, 32
  %same = icmp eq i64 %tg, %g64
  br i1 %same, label %check, label %out
check:
  %c = and i64 %t, 4294967295
  %nc = load atomic i64, ptr @fj_pool_nchunks monotonic, align 8
  %more = icmp ult i64 %c, %nc
  br i1 %more, label %claim, label %out
claim:
  %t1 = add i64 %t, 1
  %pair = cmpxchg ptr @fj_pool_ticket, i64 %t, i64 %t1 acq_rel monotonic
  %ok = extractvalue {{ i64, i1 }} %pair, 1
  br i1 %ok, label %run, label %loop
run:
  %body = load atomic ptr, ptr @fj_pool_body monotonic, align 8
  %ctx = load atomic ptr, ptr @fj_pool_ctx monotonic, align 8
  %chunk = load atomic i64, ptr @fj_pool_chunk monotonic, align 8
  %n = load atomic i64, ptr @fj_pool_n monotonic, align 8
  %start = mul i64 %c, %chunk
  %e0 = add i64 %start, %chunk
  %lt = icmp ult i64 %e0, %n
  %end = select i1 %lt, i64 %e0, i64 %n
  call void %body(ptr %ctx, i64 %start, i64 %end)
  %old = atomicrmw add ptr @fj_pool_done, i64 1 release
  br label %loop
out:
  ret void
}}

define void @fj_parallel_for(ptr %body, ptr %ctx, i64 %n, i64 %align) nounwind {{
entry:
  %nt = load atomic i64, ptr @fj_pool_threads monotonic, align 8
  %multi = icmp sgt i64 %nt, 1
  %big = icmp sgt i64 %n, %align
  %try = and i1 %multi, %big
  br i1 %try, label %lock, label %serial
lock:
  %p = cmpxchg ptr @fj_pool_busy, i32 0, i32 1 acquire monotonic
  %got = extractvalue {{ i32, i1 }} %p, 1
  br i1 %got, label %post, label %serial
serial:
  call void %body(ptr %ctx, i64 0, i64 %n)
  ret void
post:
  %parts = mul i64 %nt, {cpt}
  %q1 = sub i64 %parts, 1
  %q2 = add i64 %n, %q1
  %per = udiv i64 %q2, %parts
  %a1 = sub i64 %align, 1
  %r0 = add i64 %per, %a1
  %r1 = udiv i64 %r0, %align
  %chunk = mul i64 %r1, %align
  %c1 = sub i64 %chunk, 1
  %nc0 = add i64 %n, %c1
  %nchunks = udiv i64 %nc0, %chunk
  store atomic ptr %body, ptr @fj_pool_body monotonic, align 8
  store atomic ptr %ctx, ptr @fj_pool_ctx monotonic, align 8
  store atomic i64 %n, ptr @fj_pool_n monotonic, align 8
  store atomic i64 %chunk, ptr @fj_pool_chunk monotonic, align 8
  store atomic i64 %nchunks, ptr @fj_pool_nchunks monotonic, align 8
  store atomic i64 0, ptr @fj_pool_done monotonic, align 8
  %g = load atomic i32, ptr @fj_pool_gen monotonic, align 4
  %g1 = add i32 %g, 1
  %g64 = zext i32 %g1 to i64
  %tk = shl i64 %g64, 32
  store atomic i64 %tk, ptr @fj_pool_ticket seq_cst, align 8
  store atomic i32 %g1, ptr @fj_pool_gen seq_cst, align 4
  %sl = load atomic i32, ptr @fj_pool_sleepers seq_cst, align 4
  %any = icmp ne i32 %sl, 0
  br i1 %any, label %wake, label %work
wake:
  %w = call i64 (i64, ...) @syscall(i64 {sys_futex}, ptr @fj_pool_gen, i64 129, i64 2147483647, ptr null, ptr null, i64 0)
  br label %work
work:
  call void @fj_pool_work(i32 %g1)
  br label %wait
wait:
  %k = phi i64 [ 0, %work ], [ %k1, %spin ], [ %k1, %doyield ]
  %d = load atomic i64, ptr @fj_pool_done acquire, align 8
  %fin = icmp eq i64 %d, %nchunks
  br i1 %fin, label %finish, label %spin
spin:
  {pause}
  %k1 = add i64 %k, 1
  %km = and i64 %k1, 4095
  %yield = icmp eq i64 %km, 0
  br i1 %yield, label %doyield, label %wait
doyield:
  %y = call i32 @sched_yield()
  br label %wait
finish:
  store atomic i32 0, ptr @fj_pool_busy release, align 4
  ret void
}}

define ptr @fj_pool_worker(ptr %arg) nounwind {{
entry:
  %g0 = load atomic i32, ptr @fj_pool_gen acquire, align 4
  br label %wait
wait:
  %seen = phi i32 [ %g0, %entry ], [ %g, %work ], [ %seen, %woke ]
  br label %spin
spin:
  %k = phi i64 [ 0, %wait ], [ %k1, %spin_more ]
  %g = load atomic i32, ptr @fj_pool_gen acquire, align 4
  %new = icmp ne i32 %g, %seen
  br i1 %new, label %job, label %spin_more
spin_more:
  {pause}
  %k1 = add i64 %k, 1
  %again = icmp ult i64 %k1, {SPIN_ITERATIONS}
  br i1 %again, label %spin, label %sleep
sleep:
  %s0 = atomicrmw add ptr @fj_pool_sleepers, i32 1 seq_cst
  %g2 = load atomic i32, ptr @fj_pool_gen seq_cst, align 4
  %still = icmp eq i32 %g2, %seen
  br i1 %still, label %futex, label %woke
futex:
  %seen64 = zext i32 %seen to i64
  %r = call i64 (i64, ...) @syscall(i64 {sys_futex}, ptr @fj_pool_gen, i64 128, i64 %seen64, ptr null, ptr null, i64 0)
  br label %woke
woke:
  %s1 = atomicrmw sub ptr @fj_pool_sleepers, i32 1 seq_cst
  br label %wait
job:
  %stop = load atomic i32, ptr @fj_pool_stop acquire, align 4
  %stopping = icmp ne i32 %stop, 0
  br i1 %stopping, label %exit, label %work
work:
  call void @fj_pool_work(i32 %g)
  br label %wait
exit:
  ret ptr null
}}
"""


# ---------------------------------------------------------------------------------------------
# Loading the pool (once per process, on the first outlined loop or `set_num_threads`). It
# lives here rather than in flowjit.runtime so that every engine, the runtime's or a test's,
# finds `fj_parallel_for` (a symbol registered with `llvm.add_symbol` before any module that
# calls it is finalized). `flowjit.runtime.threads` is the user-facing interface.

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


def install_pool() -> None:
    """Compile the pool, register `fj_parallel_for`, start the workers (idempotent)."""
    global _engine, _worker_addr, _threads_addr, _fallback
    with _lock:
        if _engine is not None or _fallback is not None:
            return
        if not pool_supported():
            _fallback = _serial_parallel_for()
            llvm.add_symbol(PARALLEL_FOR, ctypes.cast(_fallback, ctypes.c_void_p).value)
            return
        # Little code, none of it hot: -O1 machine code (most of the load time is LLVM's).
        tm = llvm.Target.from_triple(target.TRIPLE).create_target_machine(
            cpu=target.CPU, features=target.FEATURES, opt=1, reloc="default",
            codemodel="jitdefault", jit=True)
        text = pool_ir(target.TRIPLE, str(tm.target_data))
        mod = llvm.parse_assembly(text)
        mod.verify()
        engine = llvm.create_mcjit_compiler(mod, tm)   # owns tm; kept forever
        engine.finalize_object()
        pf = engine.get_function_address(PARALLEL_FOR)
        _worker_addr = engine.get_function_address("fj_pool_worker")
        _threads_addr = engine.get_global_value_address("fj_pool_threads")
        if not (pf and _worker_addr and _threads_addr):
            raise RuntimeError("flowjit: the thread pool did not compile")
        _engine = engine
        llvm.add_symbol(PARALLEL_FOR, pf)
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
    install_pool()
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
    install_pool()
    if _engine is None:
        return 1
    return ctypes.c_int64.from_address(_threads_addr).value
