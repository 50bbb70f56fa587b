"""The counted loop the gemm generators use (`codegen.loops.for_range` with a start and step)."""

from __future__ import annotations

import contextlib

import llvmlite.ir as ir

from ..llvmtypes import I64, i64


@contextlib.contextmanager
def counted(b: ir.IRBuilder, start, stop, step: int = 1, name: str = "i"):
    """`for i in range(start, stop, step)` (step > 0); yields i, leaves the builder after."""
    fn = b.block.function
    pre = b.block
    head = fn.append_basic_block(f"{name}.head")
    body = fn.append_basic_block(f"{name}.body")
    done = fn.append_basic_block(f"{name}.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, name=name)
    i.add_incoming(start if not isinstance(start, int) else i64(start), pre)
    stop = i64(stop) if isinstance(stop, int) else stop
    b.cbranch(b.icmp_signed("<", i, stop), body, done)
    b.position_at_end(body)
    yield i
    i.add_incoming(b.add(i, i64(step), flags=["nsw"]), b.block)
    b.branch(head)
    b.position_at_end(done)
