"""Loop helpers (Numba cgutils style): counted loops, n-d loop nests, broadcast offsets."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Sequence

import llvmlite.ir as ir

from .llvmtypes import I64, i64


@contextlib.contextmanager
def for_range(builder: ir.IRBuilder, count: ir.Value, start: ir.Value | None = None,
              name: str = "i") -> Iterator[ir.Value]:
    """`for i in range(start, count)`: the `with` body is the loop body; yields `i` (i64).

    Leaves the builder after the loop. The increment carries `nsw nuw` because `i < count`
    bounds it (these flags are for the counter only, never for user arithmetic).
    """
    start = i64(0) if start is None else start
    pre = builder.block
    fn = pre.function
    cond = fn.append_basic_block(f"{name}.cond")
    body = fn.append_basic_block(f"{name}.body")
    end = fn.append_basic_block(f"{name}.end")
    builder.branch(cond)
    builder.position_at_end(cond)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, pre)
    builder.cbranch(builder.icmp_signed("<", index, count), body, end)
    builder.position_at_end(body)
    yield index
    nxt = builder.add(index, i64(1), flags=["nsw", "nuw"])
    index.add_incoming(nxt, builder.block)
    builder.branch(cond)
    builder.position_at_end(end)


def broadcast_loop(builder: ir.IRBuilder, shape: Sequence[ir.Value],
                   operands: Sequence[Sequence[ir.Value | None]],
                   body: Callable[[list[ir.Value]], None],
                   outer: tuple[ir.Value, ir.Value] | None = None) -> None:
    """Loop over every index of `shape` (C order) and call `body(offsets)`.

    `operands[k]` describes operand k's layout against `shape`: one entry per axis of `shape`,
    the operand's length on that axis, or None where the operand is broadcast (its length is 1
    or it lacks the axis). `offsets[k]` is then the operand's C-contiguous element offset for
    the current index (Horner form, so the innermost axis steps by 1 and vectorizes).
    `outer=(start, end)` restricts axis 0 to `range(start, end)` (a chunk of a parallel loop).
    """
    def level(axis: int, offsets: list[ir.Value]) -> None:
        if axis == len(shape):
            body(offsets)
            return
        lo, hi = outer if axis == 0 and outer is not None else (None, shape[axis])
        with for_range(builder, hi, start=lo, name=f"ax{axis}") as i:
            nxt = []
            for layout, off in zip(operands, offsets):
                n = layout[axis]
                nxt.append(off if n is None else builder.add(builder.mul(off, n), i))
            level(axis + 1, nxt)

    level(0, [i64(0)] * len(operands))


def strided_loop(builder: ir.IRBuilder, shape: Sequence[ir.Value],
                 strides: Sequence[Sequence[ir.Value | None]], bases: Sequence[ir.Value],
                 body: Callable[[list[ir.Value]], None]) -> None:
    """Loop over every index of `shape` (C order) and call `body(offsets)` where
    `offsets[k] = bases[k] + sum(i[d] * strides[k][d])` (a None stride is 0)."""
    def level(axis: int, offsets: list[ir.Value]) -> None:
        if axis == len(shape):
            body(offsets)
            return
        with for_range(builder, shape[axis], name=f"ax{axis}") as i:
            nxt = [off if s[axis] is None else builder.add(off, builder.mul(i, s[axis]))
                   for s, off in zip(strides, offsets)]
            level(axis + 1, nxt)

    level(0, list(bases))
