"""A process-wide cache of large intermediate buffers (`fj_buffer_alloc` / `fj_buffer_free`).

A compiled function `malloc`s each intermediate array and frees it after its last use. For
arrays of 128 KiB or more glibc maps fresh pages per call (and unmaps them on `free`), so every
call pays a page fault per 4 KiB touched: 0.3 ms of a 1.4 ms `np.maximum(x @ w + b, 0)` on
512x512 float32 (480 faults per call). This cache keeps up to `SLOTS` freed blocks of
`MIN_BYTES`..`MAX_BYTES` (sizes rounded up to whole pages) and hands one back to the next
request of the same rounded size, so a function called in a loop touches the same, already
mapped memory every call. Smaller and larger requests go straight to `malloc`/`free`.

Memory held: at most `SLOTS` blocks and `MAX_CACHED_BYTES` in all (a block that would exceed
it is freed at once); only memory the process already used is kept.

Every block carries a 64-byte header with its size, so `fj_buffer_free(p)` needs only the
pointer (and must only be given pointers from `fj_buffer_alloc`). Thread safety: slots are
claimed and filled with compare-and-swap, and a block's header is read only once claimed, so
concurrent calls (Python threads, pool threads) never share or touch another's block.

The IR (`BUFFERS_IR`) is compiled once per process by `install()` and the two symbols are
registered with `llvm.add_symbol`, as the thread pool's are (codegen/parallel.py).
"""

from __future__ import annotations

import threading

import llvmlite.binding as llvm

from . import target

ALLOC, FREE = "fj_buffer_alloc", "fj_buffer_free"

#: Requests in [MIN_BYTES, MAX_BYTES] are cached (below, glibc's heap reuses memory anyway).
MIN_BYTES = 64 * 1024
MAX_BYTES = 64 * 1024 * 1024
MAX_CACHED_BYTES = 256 * 1024 * 1024
SLOTS = 8
PAGE = 4096
#: A header before the returned pointer records the block's (rounded) size; 64 bytes keep the
#: returned pointer as aligned as malloc's own result (16 bytes).
HEADER = 64

BUFFERS_IR = f"""
@fj_buffer_slots = internal global [{SLOTS} x ptr] zeroinitializer
@fj_buffer_cached = global i64 0

declare ptr @malloc(i64)
declare void @free(ptr)

define internal i1 @cached_size(i64 %n) {{
  %lo = icmp uge i64 %n, {MIN_BYTES}
  %hi = icmp ule i64 %n, {MAX_BYTES}
  %ok = and i1 %lo, %hi
  ret i1 %ok
}}

define internal i64 @rounded(i64 %n) {{
  %a = add i64 %n, {PAGE - 1}
  %r = and i64 %a, {-PAGE}
  ret i64 %r
}}

define ptr @{ALLOC}(i64 %n) {{
entry:
  %rsize = call i64 @rounded(i64 %n)
  %c = call i1 @cached_size(i64 %n)
  br i1 %c, label %search, label %miss
search:
  br label %loop
loop:
  %k = phi i64 [0, %search], [%k1, %next]
  %slot = getelementptr [{SLOTS} x ptr], ptr @fj_buffer_slots, i64 0, i64 %k
  %blk = load atomic ptr, ptr %slot monotonic, align 8
  %empty = icmp eq ptr %blk, null
  br i1 %empty, label %next, label %claim
claim:
  ; claim before reading the header: an unclaimed block may be taken and freed meanwhile
  %pair = cmpxchg ptr %slot, ptr %blk, ptr null seq_cst seq_cst
  %won = extractvalue {{ ptr, i1 }} %pair, 1
  br i1 %won, label %check, label %next
check:
  %bsize = load i64, ptr %blk, align 8
  %fits = icmp eq i64 %bsize, %rsize
  br i1 %fits, label %hit, label %putback
putback:
  ; another size: return it to its slot (or, if that was refilled meanwhile, to libc)
  %back = cmpxchg ptr %slot, ptr null, ptr %blk seq_cst seq_cst
  %backed = extractvalue {{ ptr, i1 }} %back, 1
  br i1 %backed, label %next, label %drop
drop:
  %dneg = sub i64 0, %bsize
  %dold = atomicrmw add ptr @fj_buffer_cached, i64 %dneg seq_cst
  call void @free(ptr %blk)
  br label %next
hit:
  %neg = sub i64 0, %rsize
  %old = atomicrmw add ptr @fj_buffer_cached, i64 %neg seq_cst
  %user = getelementptr i8, ptr %blk, i64 {HEADER}
  ret ptr %user
next:
  %k1 = add i64 %k, 1
  %more = icmp ult i64 %k1, {SLOTS}
  br i1 %more, label %loop, label %miss
miss:
  %size = select i1 %c, i64 %rsize, i64 %n
  %total = add i64 %size, {HEADER}
  %raw = call ptr @malloc(i64 %total)
  %null = icmp eq ptr %raw, null
  br i1 %null, label %fail, label %fill
fail:
  ret ptr null
fill:
  store i64 %size, ptr %raw, align 8
  %user2 = getelementptr i8, ptr %raw, i64 {HEADER}
  ret ptr %user2
}}

define void @{FREE}(ptr %p) {{
entry:
  %isnull = icmp eq ptr %p, null
  br i1 %isnull, label %done, label %nonnull
nonnull:
  %raw = getelementptr i8, ptr %p, i64 -{HEADER}
  %size = load i64, ptr %raw, align 8
  %c = call i1 @cached_size(i64 %size)
  br i1 %c, label %keep, label %plain
plain:
  call void @free(ptr %raw)
  ret void
keep:
  %before = atomicrmw add ptr @fj_buffer_cached, i64 %size seq_cst
  %after = add i64 %before, %size
  %room = icmp ule i64 %after, {MAX_CACHED_BYTES}
  br i1 %room, label %loop, label %release
loop:
  %k = phi i64 [0, %keep], [%k1, %next]
  %slot = getelementptr [{SLOTS} x ptr], ptr @fj_buffer_slots, i64 0, i64 %k
  %pair = cmpxchg ptr %slot, ptr null, ptr %raw seq_cst seq_cst
  %won = extractvalue {{ ptr, i1 }} %pair, 1
  br i1 %won, label %done, label %next
next:
  %k1 = add i64 %k, 1
  %more = icmp ult i64 %k1, {SLOTS}
  br i1 %more, label %loop, label %release
release:
  %neg = sub i64 0, %size
  %old = atomicrmw add ptr @fj_buffer_cached, i64 %neg seq_cst
  call void @free(ptr %raw)
  ret void
done:
  ret void
}}
"""

_lock = threading.Lock()
_engine = None


def install() -> None:
    """Compile the cache and register `fj_buffer_alloc`/`fj_buffer_free` (idempotent; before
    any module that calls them is finalized, or a cached object is loaded)."""
    global _engine
    with _lock:
        if _engine is not None:
            return
        # -O0 machine code: the first function with a large temporary pays this compile
        # (measured: 3.8 ms at -O1, 1.0 ms at -O0), and a few dozen instructions per call
        # run a little slower, next to the call's megabytes of work.
        tm = llvm.Target.from_triple(target.TRIPLE).create_target_machine(
            cpu=target.CPU, features=target.FEATURES, opt=0, reloc="default",
            codemodel="jitdefault", jit=True)
        mod = llvm.parse_assembly(BUFFERS_IR)
        mod.verify()
        engine = llvm.create_mcjit_compiler(mod, tm)   # owns tm; kept for the process
        engine.finalize_object()
        for name in (ALLOC, FREE):
            address = engine.get_function_address(name)
            if not address:
                raise RuntimeError(f"flowjit: {name} did not compile")
            llvm.add_symbol(name, address)
        _engine = engine


def cached_bytes() -> int:
    """Bytes held by the cache now (blocks freed and kept for reuse)."""
    install()
    import ctypes
    return ctypes.c_int64.from_address(_engine.get_global_value_address("fj_buffer_cached")).value
