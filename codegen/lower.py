"""Lowers an `ir.Graph` to an LLVM module: the entry function, the op walk, values, memory.

Values: a 0-d IR value lives in an SSA register (bool as `i1`); an array is a pointer to a
C-contiguous buffer whose shape is known from its type (static ints, or `Dim`s loaded from the
ABI's dimension array at entry). Memory: every intermediate array is `malloc`ed by the op that
defines it (`fj_buffer_alloc`, codegen/buffers.py) and owned by the region being lowered, which
frees it after its last use (or at region exit). Values leaving a region (yields of `cond`/`while_loop`) transfer ownership to the
enclosing region when the region owns them, and are copied otherwise. Graph outputs that are
computed by top-level ops are written straight into the caller's output buffers.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Callable, Sequence

import llvmlite.ir as ir
import numpy as np

from ..errors import InternalError
from ..ir import types as T
from ..ir.core import BlockArg, Graph, Literal, Op, Region, Value
from . import abi
from .llvmtypes import I1, I32, I64, I8, PTR, const, i64, load, mem_type, reg_type, store

#: op name -> lowering rule `(lowering: FunctionLowering, op: Op) -> None`; the rule binds
#: `op.results` with `lowering.bind`. Filled by `codegen.lowering.*` via `@lowers`.
LOWERINGS: dict[str, Callable[["FunctionLowering", Op], None]] = {}


def lowers(*names: str):
    """Register the decorated function as the lowering rule of ops `names`."""
    def register(fn):
        for name in names:
            LOWERINGS[name] = fn
        return fn
    return register


def collect_dims(graph: Graph) -> tuple[T.Dim, ...]:
    """The symbolic dimensions of the graph's inputs, then any others, in first-seen order."""
    seen: dict[T.Dim, None] = {}

    def visit(t: T.TensorType):
        for d in t.shape:
            if isinstance(d, (T.Dim, T.DimExpr)):
                for a in T.dim_atoms(d):      # DynamicDims are graph values, not ABI dims
                    if isinstance(a, T.Dim):
                        seen.setdefault(a)

    for a in graph.inputs:
        visit(a.type)

    def walk(region: Region):
        for a in region.args:
            visit(a.type)
        for op in region.ops:
            for v in op.operands:
                visit(v.type)
            for r in op.results:
                visit(r.type)
            for sub in op.regions:
                walk(sub)
            if "shape" in op.attrs and isinstance(op.attrs["shape"], tuple):
                visit(T.TensorType(T.INT64, tuple(
                    d for d in op.attrs["shape"] if isinstance(d, (int, T.Dim, T.DimExpr)))))

    walk(graph.body)
    return tuple(seen)


def _uses(op: Op) -> Sequence[Value]:
    """Values `op` reads, nested regions' operands and yields included."""
    out = list(op.operands)
    stack = list(op.regions)
    while stack:
        region = stack.pop()
        for inner in region.ops:
            out.extend(inner.operands)
            stack.extend(inner.regions)
        out.extend(region.yields)
    return out


@dataclasses.dataclass(eq=False)
class Frame:
    """A region being lowered: the arrays it owns and when each is last used.

    Attributes:
      region: the IR region.
      owned: array values whose buffers this region frees -> their data pointers.
      last_use: value -> index of the last op of this region that reads it (reads inside a
        nested region count as reads by the op that holds the region); `len(ops)` for yields.
    """

    region: Region
    owned: dict[Value, ir.Value] = dataclasses.field(default_factory=dict)
    last_use: dict[Value, int] = dataclasses.field(default_factory=dict)
    dead_after: dict[int, list[Value]] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        ops = self.region.ops
        for i, op in enumerate(ops):
            for v in _uses(op):
                self.last_use[v] = i
        for v in self.region.yields:
            self.last_use[v] = len(ops)
        for i, op in enumerate(ops):
            for r in op.results:
                self.last_use.setdefault(r, i)
        for a in self.region.args:
            self.last_use.setdefault(a, -1)
        for v, i in self.last_use.items():
            self.dead_after.setdefault(i, []).append(v)

    def last_used_by(self, v: Value, index: int, op: Op) -> bool:
        """True if op `index` is the last reader of `v` and reads it exactly once."""
        return self.last_use.get(v) == index and sum(u is v for u in _uses(op)) == 1


_counter = itertools.count()


def entry_name_for(graph: Graph) -> str:
    """A process-unique symbol name for the graph's entry point (one JIT engine holds all)."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", graph.name)[:40] or "graph"
    return f"fj_{safe}_{next(_counter)}"


class FunctionLowering:
    """Builds the entry function of one graph (see the module docstring for the model).

    Attributes:
      module, fn, builder: the llvmlite module, entry function and current builder.
      fastmath: float instructions carry `fast` flags when True (`flags`).
      boundscheck: emit index checks (IndexError) when True.
      dims: `Dim` -> its i64 value, loaded at entry.
      print_sites / assert_messages: filled by the effect lowerings (see `CompiledGraph`).
    """

    def __init__(self, graph: Graph, module: ir.Module, name: str, *, fastmath: bool = False,
                 boundscheck: bool = True):
        self.graph = graph
        self.module = module
        self.fastmath = fastmath
        self.boundscheck = boundscheck
        self.flags: tuple[str, ...] = ("fast",) if fastmath else ()
        self.values: dict[Value, ir.Value] = {}
        self.frames: list[Frame] = []
        self.dest: dict[Value, ir.Value] = {}
        self.print_sites: list = []
        self.assert_messages: list = []
        self._functions: dict[str, ir.Function] = {}
        self.dims_order = collect_dims(graph)

        fnty = ir.FunctionType(I32, [PTR, PTR])
        self.fn = ir.Function(module, fnty, name=name)
        self.fn.attributes.add("nounwind")
        for arg in self.fn.args:
            arg.add_attribute("noalias")
            arg.add_attribute("captures(none)")
        self.args_ptr, self.err_ptr = self.fn.args
        self.args_ptr.name, self.err_ptr.name = "args", "err"
        # Stack slots go to a block of their own that only branches on: mem2reg/SROA promote
        # entry-block allocas, and llvmlite builders track positions by index, so inserting
        # into a block another builder is appending to would reorder its instructions.
        self.alloca_block = self.fn.append_basic_block("entry")
        self.entry_block = self.fn.append_basic_block("body")
        ir.IRBuilder(self.alloca_block).branch(self.entry_block)
        self.builder = ir.IRBuilder(self.entry_block)
        self.current_op: Op | None = None
        self.op_index = -1
        #: An i1 that `check` ANDs into every failure condition while code of a `cond` branch
        #: is run speculatively (as a select): a check only fails on the branch taken.
        self.check_guard: ir.Value | None = None
        self._fail_blocks: dict[tuple, ir.Block] = {}
        #: While not None, checks with constant records are collected here (`[key, failed,
        #: fields]`) instead of branching; see `check` and `flush_checks`.
        self.pending_checks: list | None = None
        self._flushing = False

    # -- values ---------------------------------------------------------------------------------
    def get(self, v: Value) -> ir.Value:
        """The lowered form of `v`: a register for 0-d values, a data pointer for arrays."""
        if isinstance(v, Literal):
            return const(v.type.dtype, v.value)
        try:
            return self.values[v]
        except KeyError:
            raise InternalError(f"value {v!r} used before it was lowered") from None

    def bind(self, v: Value, lowered: ir.Value) -> None:
        self.values[v] = lowered

    def shape(self, t: T.TensorType) -> list[ir.Value]:
        """The i64 length of each axis of type `t`."""
        return [i64(d) if isinstance(d, int) else self.dim(d) for d in t.shape]

    def dim(self, d) -> ir.Value:
        """The i64 value of one dimension: an int, a `Dim`, a `DynamicDim` (its bound graph
        value) or a `DimExpr` (emitted as arithmetic; codegen/dims.py)."""
        if isinstance(d, T.Dim):
            return self.dims[d]
        from .dims import emit_dim
        return emit_dim(self.builder, d, self._dim_leaf)

    def _dim_leaf(self, a) -> ir.Value:
        if isinstance(a, T.DynamicDim):
            return self.get(getattr(self, "dynamic_dims", {}).get(a, a.value))
        return self.dims[a]

    def _bind_dynamic_dims(self, op: Op) -> None:
        """`arange`/`full` define the `DynamicDim`s of their shape: each symbolic entry's
        run-time size is an operand (after any value rewriting by the passes)."""
        shape = op.attrs.get("shape") or ()
        sizes = op.operands[:1] if op.name == "arange" else op.operands[1:]
        bound = self.__dict__.setdefault("dynamic_dims", {})
        for d, v in zip([d for d in shape if T.is_symbolic(d)], sizes):
            if isinstance(d, T.DynamicDim):
                bound.setdefault(d, v)

    def size(self, t: T.TensorType) -> ir.Value:
        """The element count of type `t` as an i64 (folded when static)."""
        if t.is_static:
            return i64(t.size)
        n = i64(1)
        for d in self.shape(t):
            n = self.builder.mul(n, d)
        return n

    def nbytes(self, t: T.TensorType) -> ir.Value:
        return self.builder.mul(self.size(t), i64(t.dtype.itemsize))

    # -- runtime functions and intrinsics -------------------------------------------------------
    def function(self, name: str, ret: ir.Type, args: Sequence[ir.Type]) -> ir.Function:
        """Declare (once) the external function or LLVM intrinsic `name`."""
        fn = self._functions.get(name) or self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, list(args)), name=name)
        self._functions[name] = fn
        return fn

    def call_intrinsic(self, name: str, args: Sequence[ir.Value], ret: ir.Type | None = None,
                       fast: bool = False) -> ir.Value:
        """Call `llvm.<name>.<type of args[0]>` (e.g. `exp` -> `llvm.exp.f64`)."""
        ty = args[0].type
        suffix = {"float": "f32", "double": "f64"}.get(str(ty), str(ty))
        fn = self.function(f"llvm.{name}.{suffix}", ret or ty, [a.type for a in args])
        flags = self.flags if fast else ()
        return self.builder.call(fn, list(args), fastmath=flags)

    def malloc(self, nbytes: ir.Value, array: bool = False) -> ir.Value:
        """`malloc(nbytes)`, or for an array value's buffer (`array`) `fj_buffer_alloc(nbytes)`
        (codegen/buffers.py: large buffers reused across calls, no page faults); free it with
        `free(p, array=...)` alike. A NULL result for a non-zero size returns
        STATUS_MEMORY_ERROR."""
        name = "malloc"
        if array:
            from . import buffers
            buffers.install()
            name = buffers.ALLOC
        fn = self._functions.get(name)
        if fn is None:
            fn = self.function(name, PTR, [I64])
            fn.return_value.add_attribute("noalias")
        p = self.builder.call(fn, [nbytes])
        failed = self.builder.and_(self.builder.icmp_unsigned("==", p, ir.Constant(PTR, None)),
                                   self.builder.icmp_unsigned("!=", nbytes, i64(0)))
        self.check(failed, abi.STATUS_MEMORY_ERROR, [nbytes])
        return p

    def free(self, p: ir.Value, array: bool = False) -> None:
        name = "free"
        if array:
            from . import buffers
            name = buffers.FREE
        self.builder.call(self.function(name, ir.VoidType(), [PTR]), [p])

    def memcpy(self, dst: ir.Value, src: ir.Value, nbytes: ir.Value) -> None:
        fn = self.function("llvm.memcpy.p0.p0.i64", ir.VoidType(), [PTR, PTR, I64, I1])
        self.builder.call(fn, [dst, src, nbytes, ir.Constant(I1, 0)])

    # -- statuses -------------------------------------------------------------------------------
    def check(self, failed: ir.Value, status: int, fields: Sequence[ir.Value]) -> None:
        """If `failed` (i1), fill the error record with `fields` and return `status`."""
        b = self.builder
        unguarded = failed
        if self.check_guard is not None:
            failed = b.and_(failed, self.check_guard)
        # Checks with the same constant record share one failure block, so LLVM can merge
        # consecutive checks (`3 * n + 1`: two overflow flags) into one branch.
        key = (status, tuple(f.constant for f in fields)) if all(
            isinstance(f, ir.Constant) and f.type == I64 for f in fields) else None
        if self.pending_checks is not None and key is not None:
            # Speculated code has no effects: consecutive failures with the same record are
            # OR-ed and branched on once (`flush_checks`), the first distinct one flushes.
            pending = self.pending_checks
            if pending and pending[0] != key:
                self.flush_checks()
            if self.pending_checks:
                self.pending_checks[1] = b.or_(self.pending_checks[1], failed)
                self.pending_checks[3] = b.or_(self.pending_checks[3], unguarded)
            else:
                self.pending_checks[:] = [key, failed, list(fields), unguarded]
            return
        self._branch_to_failure(failed, status, fields, key,
                                unguarded if unguarded is not failed else None)

    def _branch_to_failure(self, failed, status, fields, key, prefilter) -> None:
        """Branch to the failure block (shared per constant record `key`) if `failed`.

        `prefilter`, for a guarded check (speculated `cond` branch code: `failed` is the
        check's own condition AND the guard), is the check's own condition: it is branched
        on first, and the guard only tested when it holds. Overflow of `3 * n` in Collatz's
        odd branch is almost never true, the parity guard is unpredictable: one well-predicted
        compare-and-branch instead of a compare, a flag and an AND on the guard.
        """
        b = self.builder
        shared = self._fail_blocks.get(key) if key is not None else None
        ok_bb = self.fn.append_basic_block("ok")
        if prefilter is not None:
            guard_bb = self.fn.append_basic_block("check.guard")
            br = b.cbranch(prefilter, guard_bb, ok_bb)
            br.set_weights([1, 1 << 20])
            b.position_at_end(guard_bb)
        if shared is not None:
            br = b.cbranch(failed, shared, ok_bb)
            br.set_weights([1, 1 << 20])
            self._keep_condition(br)
            b.position_at_end(ok_bb)
            return
        fail_bb = self.fn.append_basic_block(f"fail.{status}")
        if key is not None:
            self._fail_blocks[key] = fail_bb
        br = b.cbranch(failed, fail_bb, ok_bb)
        br.set_weights([1, 1 << 20])
        self._keep_condition(br)
        b.position_at_end(fail_bb)
        for k, f in enumerate(fields):
            if f.type != I64:
                f = b.sext(f, I64) if isinstance(f.type, ir.IntType) and f.type.width > 1 \
                    else b.zext(f, I64)
            slot = b.gep(self.err_ptr, [i64(k)], inbounds=True, source_etype=I64)
            b.store(f, slot)
        b.ret(ir.Constant(I32, status))
        b.position_at_end(ok_bb)

    def _keep_condition(self, br) -> None:
        """A guarded check (`check_guard`) branches on `failed AND guard`. Instruction
        selection would split such a branch into one per operand, and the guard (a `cond`
        predicate, Collatz's parity) is unpredictable; `!unpredictable` keeps one branch."""
        if self.check_guard is not None or self._flushing:
            br.set_metadata("unpredictable", self.module.add_metadata([]))

    def flush_checks(self) -> None:
        """Branch on the OR-ed failure condition collected while `pending_checks` was a list."""
        pending, self.pending_checks = self.pending_checks, None
        self._flushing = True
        try:
            if pending:
                key, failed, fields, unguarded = pending
                if self.check_guard is not None:
                    failed = self.builder.and_(failed, self.check_guard)
                self._branch_to_failure(failed, key[0], fields, key,
                                        unguarded if unguarded is not failed else None)
        finally:
            self._flushing = False
            self.pending_checks = [] if pending is not None else None

    # -- memory ---------------------------------------------------------------------------------
    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def alloc(self, v: Value, reuse: Sequence[Value] = ()) -> ir.Value:
        """A buffer for array value `v`, owned by the current region.

        Uses the caller's output buffer if `v` is a graph output, else the buffer of a `reuse`
        candidate (an operand of the current op of the same size and item size that this op
        reads for the last time: elementwise ops read element i before writing it), else
        `malloc`s one.
        """
        if v in self.dest:
            p = self.dest[v]
        else:
            p = self.steal(v, reuse)
            if p is None:
                p = self.malloc(self.nbytes(v.type), array=True)
                self.frame.owned[v] = p
        self.bind(v, p)
        return p

    def steal(self, v: Value, candidates: Sequence[Value]) -> ir.Value | None:
        """Take over the buffer of a candidate this op reads for the last time, if any fits."""
        for c in candidates:
            if (c in self.frame.owned and c.type.shape == v.type.shape
                    and c.type.dtype.itemsize == v.type.dtype.itemsize
                    and self.frame.last_used_by(c, self.op_index, self.current_op)):
                p = self.frame.owned.pop(c)
                self.frame.owned[v] = p
                return p
        return None

    def forward(self, x: Value, r: Value) -> bool:
        """Give array `r` the buffer of array `x` (same elements in the same order, e.g. a
        reshape) when that is safe; return False if the caller must copy instead.

        Safe: `x` is owned here and read for the last time (ownership moves to `r`), or `x`
        is not owned by this region (an input, a constant, a graph output, or a value of an
        enclosing region), so it outlives every use of `r` here; `r` is then not owned, so it
        is never freed or updated in place, and leaves regions as a copy.
        """
        if r in self.dest:
            return False
        frame = self.frame
        if x in frame.owned:
            if not frame.last_used_by(x, self.op_index, self.current_op):
                return False
            frame.owned[r] = frame.owned.pop(x)
        self.bind(r, self.get(x))
        return True

    def copy_array(self, v: Value) -> ir.Value:
        """A new `malloc`ed copy of array `v` (owned by nobody yet)."""
        p = self.malloc(self.nbytes(v.type), array=True)
        self.memcpy(p, self.get(v), self.nbytes(v.type))
        return p

    def take(self, v: Value, taken: set) -> ir.Value:
        """A buffer holding array `v` that the caller will own: the region's own buffer if it
        owns `v` (transfer), else a copy."""
        if v in self.frame.owned and v not in taken:
            taken.add(v)
            return self.frame.owned.pop(v)
        return self.copy_array(v)

    def as_buffer(self, v: Value) -> ir.Value:
        """A pointer to `v`'s elements; 0-d values are spilled to a stack slot."""
        if v.type.ndim:
            return self.get(v)
        slot = self.alloca(mem_type(v.type.dtype))
        store(self.builder, self.get(v), slot, v.type.dtype)
        return slot

    def alloca(self, ty: ir.Type, count: int = 1) -> ir.Value:
        """A stack slot in the entry block (so mem2reg/SROA can promote it)."""
        b = ir.IRBuilder(self.alloca_block)
        b.position_before(self.alloca_block.terminator)
        return b.alloca(ty, size=count if count != 1 else None)

    # -- regions --------------------------------------------------------------------------------
    def push_region(self, region: Region, args: Sequence[ir.Value] = (),
                    owns_args: bool = False) -> Frame:
        """Start lowering `region` with its arguments bound to `args`."""
        frame = Frame(region)
        self.frames.append(frame)
        for a, x in zip(region.args, args):
            self.bind(a, x)
            if owns_args and a.type.ndim:
                frame.owned[a] = x
        for v in frame.dead_after.get(-1, ()):
            p = frame.owned.pop(v, None)
            if p is not None:
                self.free(p, array=True)
        return frame

    def lower_ops(self, region: Region) -> None:
        """Lower each op of the current region, freeing owned arrays after their last use."""
        frame = self.frame
        for i, op in enumerate(region.ops):
            rule = LOWERINGS.get(op.name)
            if rule is None:
                raise NotImplementedError(f"flowjit cannot compile op {op.name!r} yet")
            self.current_op, self.op_index = op, i
            if op.name in ("arange", "full"):
                self._bind_dynamic_dims(op)
            rule(self, op)
            for v in frame.dead_after.get(i, ()):
                p = frame.owned.pop(v, None)
                if p is not None:
                    self.free(p, array=True)

    def yields(self, region: Region) -> list[ir.Value]:
        """The lowered yields of the current region, arrays as buffers the caller owns."""
        taken: set = set()
        return [self.take(v, taken) if v.type.ndim else self.get(v) for v in region.yields]

    def pop_region(self) -> None:
        """Finish the current region: free what it still owns."""
        frame = self.frames.pop()
        for p in frame.owned.values():
            self.free(p, array=True)

    def _alloc_output(self, k: int, t: T.TensorType) -> ir.Value:
        """`fj_alloc_output(k, shape)`: the runtime allocates output `k` of run-time shape;
        a NULL result (the callback failed) returns STATUS_CALLBACK_ERROR."""
        b = self.builder
        slot = self.alloca(I64, max(t.ndim, 1))
        for axis, n in enumerate(self.shape(t)):
            b.store(n, b.gep(slot, [i64(axis)], inbounds=True, source_etype=I64))
        fn = self.function(abi.ALLOC_OUTPUT_SYMBOL, PTR, [I64, PTR])
        p = b.call(fn, [i64(k), slot])
        self.check(b.icmp_unsigned("==", p, ir.Constant(PTR, None)), abi.STATUS_CALLBACK_ERROR,
                   [i64(k)])
        return p

    # -- the entry function ---------------------------------------------------------------------
    def lower(self) -> None:
        """Emit the entry function body."""
        g, b = self.graph, self.builder
        n_in, n_out = len(g.inputs), len(g.outputs)

        def arg(k: int) -> ir.Value:
            slot = b.gep(self.args_ptr, [i64(k)], inbounds=True, source_etype=PTR)
            return b.load(slot, typ=PTR)

        dims_ptr = arg(n_in + n_out) if self.dims_order else None
        self.dims = {d: b.load(b.gep(dims_ptr, [i64(k)], inbounds=True, source_etype=I64),
                               typ=I64)
                     for k, d in enumerate(self.dims_order)}
        inputs = []
        for k, a in enumerate(g.inputs):
            p = arg(k)
            inputs.append(p if a.type.ndim else load(b, p, a.type.dtype))
        outputs = [arg(n_in + k) for k in range(n_out)]

        # Outputs computed by top-level ops write straight into the caller's buffers.
        top = {id(op) for op in g.body.ops}
        # Outputs whose shape holds a DynamicDim are allocated by the runtime when the code
        # has computed them (abi.ALLOC_OUTPUT_SYMBOL); their `args` slot is unused.
        dynamic = {k for k, v in enumerate(g.outputs) if any(
            isinstance(a, T.DynamicDim) for d in v.type.shape for a in T.dim_atoms(d))}
        for k, (v, p) in enumerate(zip(g.outputs, outputs)):
            if k in dynamic:
                continue
            if (v.type.ndim and not isinstance(v, (Literal, BlockArg)) and v.producer is not None
                    and id(v.producer) in top and sum(u is v for u in g.outputs) == 1):
                self.dest[v] = p

        self.push_region(g.body, inputs)
        self.lower_ops(g.body)
        for k, (v, p) in enumerate(zip(g.outputs, outputs)):
            if k in dynamic:
                p = self._alloc_output(k, v.type)
                self.memcpy(p, self.get(v), self.nbytes(v.type))
            elif not v.type.ndim:
                store(b, self.get(v), p, v.type.dtype)
            elif self.get(v) is not p:
                self.memcpy(p, self.get(v), self.nbytes(v.type))
        self.pop_region()
        for hook in self.__dict__.get("exit_hooks", ()):  # e.g. free this call's lists
            hook(self)
        b.ret(ir.Constant(I32, abi.STATUS_OK))


def lower_graph(graph: Graph, *, name: str | None = None, fastmath: bool = False,
                boundscheck: bool = True, triple: str = "", data_layout: str = ""):
    """Lower `graph` to a new `llvmlite.ir.Module`.

    Returns `(module, lowering)`; `lowering` carries the entry name (`lowering.fn.name`),
    dims order, print sites and assert messages.
    """
    from . import lowering  # noqa: F401  (registers the rules)

    module = ir.Module(name=f"flowjit.{graph.name}")
    module.triple = triple
    module.data_layout = data_layout
    fl = FunctionLowering(graph, module, name or entry_name_for(graph), fastmath=fastmath,
                          boundscheck=boundscheck)
    fl.lower()
    return module, fl
