"""The op registry: one `OpDef` per op, holding its type rule and its NumPy reference.

One op is defined in one place: its `OpDef` here (type rule, NumPy reference, traits) and its
lowering in `flowjit.codegen.lowering`, keyed by the op's name (JAX's `Primitive` +
`register_lowering` split, which keeps `ir/` free of llvmlite).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

from ..types import TensorType

#: Op kinds; passes and codegen dispatch on them (e.g. fusion takes `ELEMENTWISE` chains).
ELEMENTWISE = "elementwise"
REDUCTION = "reduction"
CREATION = "creation"
SHAPE = "shape"
CONTROL = "control"
EFFECT = "effect"
CONSTANT = "constant"
LINALG = "linalg"

TypeRule = Callable[[Sequence[TensorType], Mapping[str, Any]], tuple[TensorType, ...]]


@dataclasses.dataclass(frozen=True, eq=False)
class OpDef:
    """Everything the compiler knows about one op, except how to lower it.

    Attributes:
      name: NumPy's name for the operation (`add`, `sum`, ...) or the graph term (`cond`).
      infer: `(operand_types, attrs) -> result_types`; raises `TypeError`/`ValueError` with
        NumPy's message where NumPy would raise.
      reference: NumPy's definition, `(*operands, **attrs) -> result or tuple of results`; run by
        the reference interpreter and by constant folding. `None` for region ops, which the
        interpreter handles through `interpret`.
      kind: one of the kind constants above.
      effects: True for ops that must run in program order and never be removed (`print`).
      commutative: operands may be swapped (CSE canonicalizes them).
      interpret: for ops with regions, `(interpreter, op, operand_values) -> results`.
      ufunc: the NumPy ufunc an elementwise op implements.
      doc: one line for the generated support table.
    """

    name: str
    infer: TypeRule
    reference: Callable[..., Any] | None
    kind: str
    effects: bool = False
    commutative: bool = False
    interpret: Callable[..., Any] | None = None
    ufunc: Any = None
    doc: str = ""

    def __repr__(self) -> str:
        return f"OpDef({self.name})"


OPS: dict[str, OpDef] = {}


def register(opdef: OpDef) -> OpDef:
    """Add `opdef` to the registry; a name may be registered once."""
    if opdef.name in OPS:
        raise ValueError(f"op {opdef.name!r} is already registered")
    OPS[opdef.name] = opdef
    return opdef


def get(name: str) -> OpDef:
    """The registered op called `name`; `KeyError` if there is none."""
    if name not in OPS:
        # The op families register themselves when `ir.tracing` imports them; a pass or test
        # that looks an op up before anything traced must not depend on import order.
        from .. import tracing  # noqa: F401
        from ..passes import fusion  # noqa: F401
    return OPS[name]
