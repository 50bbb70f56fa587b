"""Lowering of the growable-list ops (ir/ops/lists.py): `list_new`, `list_append`,
`list_length`, `list_stack`.

A list value is a pointer (a register; carried through loops as a pointer phi) to a small
`malloc`ed header `{ptr data, i64 length, i64 capacity, ptr next}`. The header never moves, so
every SSA value of one list is the same pointer and `list_append` updates it in place (lists
are used linearly, see ir/ops/lists.py): when `length == capacity` the data grows by doubling
with `realloc` (a failure returns STATUS_MEMORY_ERROR), then the element is copied in.
`list_stack` copies the `length * element` bytes into a new array (whose first dimension is the
`DynamicDim` bound to the length operand; a graph output of that shape is then handed to the
runtime's `fj_alloc_output` buffer by `FunctionLowering.lower`).

Memory: `list_new` links its header into a per-call chain whose head is a stack slot set to
NULL at entry; an exit hook run before the entry function returns frees every header and its
data (lists allocated inside loops included). As for temporary arrays (codegen/abi.py), a call
that fails with a status returns at once and does not free them.
"""

from __future__ import annotations

import llvmlite.ir as ir
import numpy as np

from ...ir import types as T
from ...ir.core import Op
from .. import abi
from ..llvmtypes import I64, PTR, REGISTER_TYPES, i64, store
from ..lower import FunctionLowering, lowers

# A list handle is a pointer in a register (`_phi_type`, `select` and friends use reg_type).
REGISTER_TYPES.setdefault(T.LIST_HANDLE_DTYPE, PTR)

_HEADER = ir.LiteralStructType([PTR, I64, I64, PTR])
_DATA, _LENGTH, _CAPACITY, _NEXT = 0, 1, 2, 3
_HEADER_BYTES = 32
_INITIAL_CAPACITY = 4


def _field(fl: FunctionLowering, p: ir.Value, k: int) -> ir.Value:
    return fl.builder.gep(p, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), k)],
                          inbounds=True, source_etype=_HEADER)


def _load(fl, p, k):
    return fl.builder.load(_field(fl, p, k), typ=_HEADER.elements[k])


def _store(fl, value, p, k):
    fl.builder.store(value, _field(fl, p, k))


def _element_bytes(element: T.TensorType) -> int:
    return int(np.prod(element.shape, dtype=np.int64)) * element.dtype.itemsize


def _chain_head(fl: FunctionLowering) -> ir.Value:
    """The stack slot heading this call's chain of lists (NULL at entry), created once with
    the exit hook that frees the chain."""
    head = fl.__dict__.get("_list_chain")
    if head is None:
        b = ir.IRBuilder(fl.alloca_block)
        b.position_before(fl.alloca_block.terminator)
        head = b.alloca(PTR)
        b.store(ir.Constant(PTR, None), head)
        fl.__dict__["_list_chain"] = head
        fl.__dict__.setdefault("exit_hooks", []).append(_free_chain)
    return head


def _free_chain(fl: FunctionLowering) -> None:
    """Free every list header of this call and its data (run before the entry returns)."""
    b = fl.builder
    head = fl.__dict__["_list_chain"]
    pre = b.block
    loop = fl.fn.append_basic_block("lists.free")
    body = fl.fn.append_basic_block("lists.free.body")
    done = fl.fn.append_basic_block("lists.free.done")
    first = b.load(head, typ=PTR)
    b.branch(loop)
    b.position_at_end(loop)
    p = b.phi(PTR)
    p.add_incoming(first, pre)
    b.cbranch(b.icmp_unsigned("==", p, ir.Constant(PTR, None)), done, body)
    b.position_at_end(body)
    nxt = _load(fl, p, _NEXT)
    fl.free(_load(fl, p, _DATA))
    fl.free(p)
    p.add_incoming(nxt, b.block)
    b.branch(loop)
    b.position_at_end(done)


def _check_outputs(fl: FunctionLowering) -> None:
    """A list value cannot be a graph output: its length is a run-time value, and the runtime
    returns arrays (with the structure the function returned)."""
    if any(isinstance(v.type, T.ListType) for v in fl.graph.outputs):
        from ...errors import StagingError
        raise StagingError(
            f"'{fl.graph.name}' returns a list that was appended to in traced control flow (a "
            f"`while` loop, a loop with `break`/`return`, or under an `if` on a traced "
            f"condition), so its length is only known at run time and a compiled function "
            f"cannot return it as a Python list.\n  fix: return `np.stack(lst)` (or "
            f"`np.array(lst)`): an array with one row per item.")


@lowers("list_new")
def lower_list_new(fl: FunctionLowering, op: Op) -> None:
    _check_outputs(fl)
    head = _chain_head(fl)
    p = fl.malloc(i64(_HEADER_BYTES))
    _store(fl, ir.Constant(PTR, None), p, _DATA)
    _store(fl, i64(0), p, _LENGTH)
    _store(fl, i64(0), p, _CAPACITY)
    _store(fl, fl.builder.load(head, typ=PTR), p, _NEXT)
    fl.builder.store(p, head)
    fl.bind(op.results[0], p)


@lowers("list_append")
def lower_list_append(fl: FunctionLowering, op: Op) -> None:
    b = fl.builder
    lst, value = op.operands
    element = lst.type.element
    size = _element_bytes(element)
    p = fl.get(lst)
    n = _load(fl, p, _LENGTH)
    cap = _load(fl, p, _CAPACITY)
    grow = fl.fn.append_basic_block("list.grow")
    ready = fl.fn.append_basic_block("list.append")
    full = b.icmp_unsigned("==", n, cap)
    br = b.cbranch(full, grow, ready)
    br.set_weights([1, 1 << 10])
    b.position_at_end(grow)
    new_cap = b.select(b.icmp_unsigned("==", cap, i64(0)), i64(_INITIAL_CAPACITY),
                       b.shl(cap, i64(1)))
    nbytes = b.mul(new_cap, i64(size))
    realloc = fl.function("realloc", PTR, [PTR, I64])
    data = b.call(realloc, [_load(fl, p, _DATA), nbytes])
    failed = b.and_(b.icmp_unsigned("==", data, ir.Constant(PTR, None)),
                    b.icmp_unsigned("!=", nbytes, i64(0)))
    fl.check(failed, abi.STATUS_MEMORY_ERROR, [nbytes])
    _store(fl, data, p, _DATA)
    _store(fl, new_cap, p, _CAPACITY)
    b.branch(ready)
    b.position_at_end(ready)
    data = _load(fl, p, _DATA)
    dst = b.gep(data, [b.mul(n, i64(size))], inbounds=True, source_etype=ir.IntType(8))
    if element.ndim == 0:
        store(b, fl.get(value), dst, element.dtype)
    elif size:
        fl.memcpy(dst, fl.get(value), i64(size))
    _store(fl, b.add(n, i64(1)), p, _LENGTH)
    fl.bind(op.results[0], p)


@lowers("list_length")
def lower_list_length(fl: FunctionLowering, op: Op) -> None:
    fl.bind(op.results[0], _load(fl, fl.get(op.operands[0]), _LENGTH))


@lowers("list_stack")
def lower_list_stack(fl: FunctionLowering, op: Op) -> None:
    lst, n = op.operands
    r = op.results[0]
    # The result's first dimension is the DynamicDim bound to the length operand (after any
    # rewriting of that operand by the passes).
    fl.__dict__.setdefault("dynamic_dims", {}).setdefault(r.type.shape[0], n)
    p = fl.alloc(r)
    size = _element_bytes(lst.type.element)
    if size:
        fl.memcpy(p, _load(fl, fl.get(lst), _DATA), fl.builder.mul(fl.get(n), i64(size)))
