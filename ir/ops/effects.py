"""Side effects: `print` and `assert`, which run at every call, in program order.

`print`'s text must be exactly eager Python's (SEMANTICS.md, trap 15), so the op does not
format anything itself: its `template` attribute is the argument list with every traced value
replaced by a `Slot`; at run time the values are rebuilt as the NumPy scalars/arrays (or Python
scalars, for weak values) they are eagerly, put back in place, and handed to Python's `print`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import builder, pytree
from ..tracing import Tensor, to_predicate
from .registry import EFFECT, OpDef, register
from .registry import get as _get_op


@dataclasses.dataclass(frozen=True)
class Slot:
    """Where the `index`-th operand of a `print` op goes in its template."""

    index: int

    def __repr__(self) -> str:
        return f"${self.index}"


def _no_results(types, attrs):
    return ()


def fill_template(template, values):
    """The print arguments with each `Slot` replaced by its run-time value."""
    leaves, treedef = pytree.flatten(template, is_leaf=lambda x: isinstance(x, Slot))
    return pytree.unflatten(treedef, [values[x.index] if isinstance(x, Slot) else x
                                      for x in leaves])


def _print_reference(*values, template, sep, end):
    print(*fill_template(template, values), sep=sep, end=end)
    return ()


def _assert_reference(pred, message):
    if not bool(pred):
        raise AssertionError(message) if message is not None else AssertionError()
    return ()


register(OpDef("print", _no_results, _print_reference, EFFECT, effects=True,
               doc="print(...) with eager Python's text"))
register(OpDef("assert", _no_results, _assert_reference, EFFECT, effects=True,
               doc="assert pred, message -> AssertionError(message)"))


def print_(*args, sep=" ", end="\n", file=None, flush=False):
    """`print(*args)`: a `print` op if any argument holds a traced value, else Python's print."""
    leaves, _ = pytree.flatten(args)
    if file is not None or not any(isinstance(x, Tensor) for x in leaves):
        print(*args, sep=sep, end=end, file=file, flush=flush)
        return
    operands = []

    def to_slot(x):
        if isinstance(x, Tensor):
            operands.append(x.value)
            return Slot(len(operands) - 1)
        return x

    leaves, treedef = pytree.flatten(args)
    template = pytree.unflatten(treedef, [to_slot(x) for x in leaves])
    builder.emit(OPS_PRINT, operands, {"template": template, "sep": sep, "end": end})


def assert_(pred, message=None):
    """`assert pred, message`: an `assert` op if `pred` is traced, else Python's assert.

    `message` may be a string, None, or a callable returning the message (evaluated once, at
    trace time when staged, lazily otherwise, as Python evaluates it only on failure).
    """
    if not isinstance(pred, Tensor):
        if not pred:
            msg = message() if callable(message) else message
            raise AssertionError(msg) if msg is not None else AssertionError()
        return
    msg = message() if callable(message) else message
    builder.emit(OPS_ASSERT, [to_predicate(pred).value],
                 {"message": None if msg is None else str(msg)})


OPS_PRINT = _get_op("print")
OPS_ASSERT = _get_op("assert")
