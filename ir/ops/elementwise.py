"""Elementwise ops: NumPy's ufuncs, with NumPy's promotion and broadcasting.

Every op here is a NumPy ufunc; its type rule is NumPy's own (`ufunc.resolve_dtypes`) plus
broadcasting. When every operand is *weak* (a Python scalar eagerly) and the op came from a
Python operator (`a // b`, not `np.floor_divide(a, b)`), eager execution runs Python's
arithmetic, so the result is weak too and follows Python: `True + True == 2`, `7 // 0` raises
`ZeroDivisionError`, ints do not wrap (API.md, "Python scalars stay Python scalars").
"""

from __future__ import annotations

import operator
from typing import Any, Mapping, Sequence

import numpy as np

from .. import types as T
from .registry import ELEMENTWISE, OpDef, register

#: name -> (ufunc, Python operator or None). Order is the support table's order.
UFUNCS: dict[str, tuple[np.ufunc, Any]] = {
    # arithmetic
    "add": (np.add, operator.add),
    "subtract": (np.subtract, operator.sub),
    "multiply": (np.multiply, operator.mul),
    "true_divide": (np.true_divide, operator.truediv),
    "floor_divide": (np.floor_divide, operator.floordiv),
    "remainder": (np.remainder, operator.mod),
    "power": (np.power, operator.pow),
    "negative": (np.negative, operator.neg),
    "positive": (np.positive, operator.pos),
    "absolute": (np.absolute, abs),
    # comparisons
    "equal": (np.equal, operator.eq),
    "not_equal": (np.not_equal, operator.ne),
    "less": (np.less, operator.lt),
    "less_equal": (np.less_equal, operator.le),
    "greater": (np.greater, operator.gt),
    "greater_equal": (np.greater_equal, operator.ge),
    # logical and bitwise
    "logical_and": (np.logical_and, None),
    "logical_or": (np.logical_or, None),
    "logical_not": (np.logical_not, None),
    "bitwise_and": (np.bitwise_and, operator.and_),
    "bitwise_or": (np.bitwise_or, operator.or_),
    "bitwise_xor": (np.bitwise_xor, operator.xor),
    "invert": (np.invert, operator.invert),
    # transcendental
    "exp": (np.exp, None),
    "log": (np.log, None),
    "sqrt": (np.sqrt, None),
    "sin": (np.sin, None),
    "cos": (np.cos, None),
    "tanh": (np.tanh, None),
    # extrema
    "maximum": (np.maximum, None),
    "minimum": (np.minimum, None),
}

#: Sample Python values that stand for weak operands when asking Python for a result type.
_PY_SAMPLE = {T.BOOL: True, T.INT64: 3, T.FLOAT64: 1.5}


def _python_result_type(pyop, types: Sequence[T.TensorType]) -> np.dtype:
    # Python decides the type of `True + True` (int) or `1 / 2` (float) by value-independent
    # rules, so evaluating the operator on sample values of the operand types gives it.
    result = pyop(*(_PY_SAMPLE[t.dtype] for t in types))
    return T.type_of_python_scalar(result).dtype


def _make_infer(name: str, ufunc: np.ufunc, pyop):
    def infer(types: Sequence[T.TensorType], attrs: Mapping[str, Any]) -> tuple[T.TensorType, ...]:
        shape = T.broadcast_shapes(*(t.shape for t in types))
        if attrs.get("python") and pyop is not None and T.weak_result(types):
            return (T.TensorType(_python_result_type(pyop, types), shape, weak=True),)
        out = ufunc_output_dtype(ufunc, types)
        return (T.TensorType(out, shape),)

    infer.__name__ = f"_{name}_infer"
    return infer


def ufunc_output_dtype(ufunc: np.ufunc, types: Sequence[T.TensorType]) -> np.dtype:
    """The output dtype NumPy gives `ufunc` on operands of `types`.

    Raises:
      TypeError: NumPy's own error where it has no loop (e.g. `bool - bool`).
      NotImplementedError: where NumPy's result dtype is one flowjit does not compile
        (e.g. `np.exp` of bool gives float16).
    """
    dtypes = T.ufunc_loop_dtypes(ufunc, types)
    out = dtypes[ufunc.nin]
    if out not in T.SUPPORTED_DTYPES:
        operand = ", ".join(str(t.dtype) for t in types)
        raise NotImplementedError(
            f"numpy.{ufunc.__name__} of ({operand}) gives dtype {out}, which flowjit does not "
            f"compile; cast the operand first, e.g. `.astype(np.float32)`.")
    return out


def _make_reference(ufunc: np.ufunc, pyop):
    def reference(*operands, python: bool = False):
        if python and pyop is not None and all(
                isinstance(x, (bool, int, float)) for x in operands):
            return pyop(*operands)
        return ufunc(*operands)

    return reference


for _name, (_ufunc, _pyop) in UFUNCS.items():
    register(OpDef(
        name=_name,
        infer=_make_infer(_name, _ufunc, _pyop),
        reference=_make_reference(_ufunc, _pyop),
        kind=ELEMENTWISE,
        commutative=_name in {"add", "multiply", "equal", "not_equal", "logical_and",
                              "logical_or", "bitwise_and", "bitwise_or", "bitwise_xor",
                              "maximum", "minimum"},
        ufunc=_ufunc,
        doc=f"numpy.{_ufunc.__name__}",
    ))

UFUNC_NAMES = {ufunc: name for name, (ufunc, _) in UFUNCS.items()}


def _where_infer(types, attrs):
    cond, x, y = types
    shape = T.broadcast_shapes(cond.shape, x.shape, y.shape)

    def operand(t):
        # np.result_type treats Python scalar *values* as weak (NEP 50); types as strong.
        return T.PYTHON_TYPE_OF_WEAK[t.dtype](0) if t.weak else t.dtype

    out = np.result_type(operand(x), operand(y))
    return (T.TensorType(out, shape),)


register(OpDef("where", _where_infer, np.where, ELEMENTWISE, doc="numpy.where(cond, x, y)"))


def _astype_infer(types, attrs):
    (x,) = types
    return (T.TensorType(T.check_dtype(attrs["dtype"]), x.shape),)


def _astype_reference(x, dtype):
    return np.asarray(x).astype(dtype)


register(OpDef("astype", _astype_infer, _astype_reference, ELEMENTWISE,
               doc="ndarray.astype(dtype)"))
