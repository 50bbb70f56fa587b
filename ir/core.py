"""The IR's data structures: values, ops, regions and graphs (MLIR-style nested regions)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..errors import InternalError, Location
from .types import TensorType


class Value:
    """An SSA value: the result of an op, an argument of a region, or a literal.

    Values compare by identity. `name_hint` is the user's variable name when AutoGraph or the
    tracer knows it; the printer uses it to name the value (`%steps.1`).
    """

    __slots__ = ("type", "producer", "index", "name_hint")

    def __init__(self, type: TensorType, producer: "Op | None" = None, index: int = 0,
                 name_hint: str | None = None):
        self.type = type
        self.producer = producer
        self.index = index
        self.name_hint = name_hint

    def __repr__(self) -> str:
        return f"<Value {self.name_hint or ''}: {self.type}>"


class BlockArg(Value):
    """An argument of a region (a function parameter, or a loop's carried value)."""

    __slots__ = ()


class Literal(Value):
    """A scalar constant used as an operand (printed inline, e.g. `1:int64`).

    `value` is a Python scalar of the type's kind; weak literals come from Python literals.
    """

    __slots__ = ("value",)

    def __init__(self, value, type: TensorType):
        super().__init__(type)
        self.value = value

    def as_numpy(self):
        """The literal as the 0-d NumPy value (or Python scalar, if weak) it stands for."""
        if self.type.weak:
            from .types import PYTHON_TYPE_OF_WEAK
            return PYTHON_TYPE_OF_WEAK[self.type.dtype](self.value)
        return self.type.dtype.type(self.value)

    def key(self):
        """Hashable identity of the constant (for CSE): dtype, weakness and bit pattern."""
        return (self.type.dtype.str, self.type.weak,
                np.asarray(self.value, self.type.dtype).tobytes())

    def __repr__(self) -> str:
        return f"<Literal {self.value}:{self.type}>"


@dataclasses.dataclass(eq=False)
class Region:
    """A list of ops with arguments and yielded values (an MLIR single-block region).

    Ops may use values defined earlier in the same region, the region's arguments, or values of
    any enclosing region (implicit capture, as in MLIR's `scf` dialect).
    """

    args: tuple[BlockArg, ...] = ()
    ops: list["Op"] = dataclasses.field(default_factory=list)
    yields: tuple[Value, ...] = ()

    def walk(self) -> Iterator["Op"]:
        """Every op in this region and its nested regions, in program order."""
        for op in self.ops:
            yield op
            for region in op.regions:
                yield from region.walk()


@dataclasses.dataclass(eq=False)
class Kernel:
    """The body of a `fusion` op: a region kept as an attribute, so that `op_counts()`
    counts a fusion as one op (API.md, "Graphs"). `name` is assigned by the fusion pass."""

    name: str
    body: Region

    def __str__(self) -> str:
        return f"@{self.name}"


class Op:
    """One operation: an `OpDef`, operands, attributes, results and nested regions.

    Attributes:
      opdef: the registry entry (`flowjit.ir.ops.registry.OpDef`) giving the op's rules.
      operands: input values.
      attrs: static parameters (axis, dtype, kernel, ...), a plain dict treated as frozen.
      results: the values this op defines.
      regions: nested regions (`cond`: then/else; `while_loop`: cond/body).
      loc: the user's source location that produced the op, if known.
    """

    __slots__ = ("opdef", "operands", "attrs", "results", "regions", "loc")

    def __init__(self, opdef, operands: Sequence[Value], attrs: Mapping[str, Any],
                 result_types: Sequence[TensorType], regions: Sequence[Region] = (),
                 loc: Location | None = None, name_hints: Sequence[str | None] | None = None):
        self.opdef = opdef
        self.operands = tuple(operands)
        self.attrs = dict(attrs)
        hints = name_hints or (None,) * len(result_types)
        self.results = tuple(Value(t, self, i, h) for i, (t, h) in enumerate(zip(result_types, hints)))
        self.regions = tuple(regions)
        self.loc = loc

    @property
    def name(self) -> str:
        return self.opdef.name

    @property
    def result(self) -> Value:
        """The single result of a one-result op."""
        if len(self.results) != 1:
            raise InternalError(f"op {self.name} has {len(self.results)} results, not 1")
        return self.results[0]

    def __repr__(self) -> str:
        return f"<Op {self.name}>"


class Graph:
    """A traced function: a region whose arguments are the inputs and whose yields the outputs.

    Attributes:
      name: the Python function's name.
      body: the top-level `Region`.
      kernels: the `Kernel`s referenced by `fusion` ops and `matmul` epilogues, by name (printed
        after the function).
    """

    def __init__(self, name: str, body: Region, kernels: Mapping[str, Kernel] | None = None):
        self.name = name
        self.body = body
        self.kernels = dict(kernels or {})

    @property
    def inputs(self) -> tuple[BlockArg, ...]:
        return self.body.args

    @property
    def outputs(self) -> tuple[Value, ...]:
        return self.body.yields

    def walk(self) -> Iterator[Op]:
        """Every op, nested regions included (not the bodies of fusion kernels)."""
        return self.body.walk()

    def op_counts(self) -> dict[str, int]:
        """A dict from op name to count, `cond`/`while_loop` regions included; a `fusion` is
        one op whatever it computes (API.md, "Graphs")."""
        return dict(Counter(op.name for op in self.walk()))

    def verify(self) -> None:
        """Check SSA dominance and each op's own verifier; raise `InternalError` if broken."""
        from .verifier import verify
        verify(self)

    def format(self, locations: bool = False) -> str:
        """The textual IR; with `locations=True` each line ends with `# file:line`."""
        from .printer import format_graph
        return format_graph(self, locations=locations)

    def __str__(self) -> str:
        return self.format()

    def to_dot(self) -> str:
        """Graphviz DOT text: ops as nodes, values as edges, each region a cluster."""
        from .printer import to_dot
        return to_dot(self)

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {sum(self.op_counts().values())} ops>"
