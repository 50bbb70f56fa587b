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
from .registry import ELEMENTWISE, OPS, OpDef, register

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
    "sign": (np.sign, None),
    "reciprocal": (np.reciprocal, None),
    "fmod": (np.fmod, None),
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
    "logical_xor": (np.logical_xor, None),
    "logical_not": (np.logical_not, None),
    "bitwise_and": (np.bitwise_and, operator.and_),
    "bitwise_or": (np.bitwise_or, operator.or_),
    "bitwise_xor": (np.bitwise_xor, operator.xor),
    "invert": (np.invert, operator.invert),
    "left_shift": (np.left_shift, operator.lshift),
    "right_shift": (np.right_shift, operator.rshift),
    # transcendental
    "exp": (np.exp, None),
    "exp2": (np.exp2, None),
    "expm1": (np.expm1, None),
    "log": (np.log, None),
    "log1p": (np.log1p, None),
    "log2": (np.log2, None),
    "log10": (np.log10, None),
    "sqrt": (np.sqrt, None),
    "cbrt": (np.cbrt, None),
    "sin": (np.sin, None),
    "cos": (np.cos, None),
    "tan": (np.tan, None),
    "arcsin": (np.arcsin, None),
    "arccos": (np.arccos, None),
    "arctan": (np.arctan, None),
    "arctan2": (np.arctan2, None),
    "hypot": (np.hypot, None),
    "sinh": (np.sinh, None),
    "cosh": (np.cosh, None),
    "tanh": (np.tanh, None),
    "arcsinh": (np.arcsinh, None),
    "arccosh": (np.arccosh, None),
    "arctanh": (np.arctanh, None),
    # rounding
    "floor": (np.floor, None),
    "ceil": (np.ceil, None),
    "trunc": (np.trunc, None),
    "rint": (np.rint, None),
    # floating-point classification and sign
    "isnan": (np.isnan, None),
    "isinf": (np.isinf, None),
    "isfinite": (np.isfinite, None),
    "signbit": (np.signbit, None),
    "copysign": (np.copysign, None),
    # extrema (maximum/minimum propagate NaN; fmax/fmin ignore it)
    "maximum": (np.maximum, None),
    "minimum": (np.minimum, None),
    "fmax": (np.fmax, None),
    "fmin": (np.fmin, None),
    # np.clip's three-operand ufunc: min(max(x, lo), hi) with NumPy's NaN and signed-zero rules
    "clip": (np._core.umath.clip, None),
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
    def reference(*operands, python: bool = False, nooverflow: bool = False,
                  operand_ranges=None):
        # `nooverflow`/`operand_ranges` (range_analysis pass) only inform codegen's checks.
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
                              "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                              "bitwise_xor", "maximum", "minimum", "fmax", "fmin", "hypot"},
        ufunc=_ufunc,
        doc=f"numpy.{_ufunc.__name__}",
    ))

UFUNC_NAMES = {ufunc: name for name, (ufunc, _) in UFUNCS.items()}

# -- Python ints meeting int32 (NEP 50) ----------------------------------------------------------
# A weak Python int converted to int32 raises `OverflowError: Python integer ... out of bounds for
# int32` eagerly when its value does not fit, and comparisons are exact whatever the value
# (NumPy 2). A traced Python int's value is only known at run time, so the conversion carries a
# check op; a comparison is done in int64 instead, where every Python int flowjit takes fits.

_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}
_INT32_BOUNDS = (int(np.iinfo(np.int32).min), int(np.iinfo(np.int32).max))


def _python_int_bounds_reference(value, dtype):
    lo, hi = _INT32_BOUNDS
    if not lo <= int(value) <= hi:
        raise OverflowError(f"Python integer {int(value)} out of bounds for {np.dtype(dtype)}")
    return ()


register(OpDef("python_int_bounds", lambda types, attrs: (), _python_int_bounds_reference,
               ELEMENTWISE, effects=True,
               doc="the range check NumPy makes when a Python int becomes an int32"))


def _is_python_int(t: T.TensorType) -> bool:
    return t.weak and t.dtype == T.INT64


def _fits_int32(v) -> bool:
    # A literal's value is known now; only a traced Python int needs the run-time check (and an
    # out-of-range literal keeps it, since eager raises only if this line runs).
    from ..core import Literal
    return isinstance(v, Literal) and _INT32_BOUNDS[0] <= int(v.value) <= _INT32_BOUNDS[1]


def python_int_operands(name: str, values: list) -> list:
    """`values` (operand Values of ufunc op `name`) adjusted for Python ints meeting int32.

    Emits the run-time `python_int_bounds` check for a Python int that the ufunc converts to
    int32, or, for a comparison, widens the int32 operands to int64 so the comparison is exact.
    """
    from .. import builder

    types = [v.type for v in values]
    if not any(_is_python_int(t) for t in types) or \
            not any(t.dtype == T.INT32 and not t.weak for t in types):
        return values
    if name in _COMPARISONS:
        return [builder.emit(OPS["astype"], [v], {"dtype": T.INT64}).result
                if v.type.dtype == T.INT32 and not v.type.weak else v for v in values]
    loop = T.ufunc_loop_dtypes(UFUNCS[name][0], types)
    for v, dtype in zip(values, loop):
        if _is_python_int(v.type) and dtype == T.INT32 and not _fits_int32(v):
            builder.emit(OPS["python_int_bounds"], [v], {"dtype": T.INT32})
    return values


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


# -- NumPy functions built on the ops above (issue 4) ----------------------------------------
# Everything below is a composition of registered ops, so codegen needs no new lowering.

from ..tracing import NUMPY_FUNCTIONS, Tensor, apply, as_value, implements  # noqa: E402


def _is_traced(x) -> bool:
    return isinstance(x, Tensor)


def write_out(result: Tensor, out, fname: str):
    """NumPy's `out=` on a traced array: cast `result` (same_kind) and broadcast it to `out`'s
    shape, then rebind `out` to it (an in-place update). Returns `out`."""
    if isinstance(out, tuple):
        if len(out) != 1:
            raise NotImplementedError(f"flowjit supports one `out` array for numpy.{fname}")
        (out,) = out
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise NotImplementedError(f"numpy.{fname}(..., out=...) in a compiled function needs "
                                  f"`out` to be a traced array (an argument or a value created "
                                  f"inside the function).")
    if not np.can_cast(result.dtype, out.dtype, casting="same_kind"):
        ufunc = getattr(np, fname, None)
        if isinstance(ufunc, np.ufunc):  # NumPy's own exception type (a TypeError)
            raise np._core._exceptions._UFuncOutputCastingError(
                ufunc, "same_kind", result.dtype, out.dtype, 0)
        raise TypeError(f"Cannot cast {fname} output from dtype('{result.dtype}') to "
                        f"dtype('{out.dtype}') with casting rule 'same_kind'")
    target = tuple(out.type.shape)
    if T.broadcast_shapes(result.type.shape, target) != target:
        raise ValueError(f"non-broadcastable output operand with shape {target} doesn't match "
                         f"the broadcast shape {T.broadcast_shapes(result.type.shape, target)}")
    if result.dtype != out.dtype or result.type.weak:
        result = apply("astype", result, dtype=out.dtype)
    from .shape import broadcast_to_shape
    out.assign(broadcast_to_shape(result, target, (out,)))
    return out


def _ufunc_call(name: str, ufunc: np.ufunc):
    """`np.<ufunc>(*inputs, out=..., dtype=...)`: the keyword arguments NumPy code commonly
    passes. (Without keywords, `Tensor.__array_ufunc__` applies the op directly.)"""

    def call(*inputs, out=None, dtype=None, casting="same_kind", where=True, signature=None,
             **unsupported):
        if where is not True or signature is not None or unsupported or casting != "same_kind":
            given = sorted(unsupported) + ["where"] * (where is not True) + \
                ["signature"] * (signature is not None) + ["casting"] * (casting != "same_kind")
            raise NotImplementedError(f"flowjit does not support numpy.{ufunc.__name__} with "
                                      f"arguments {given} on traced values.")
        if dtype is not None:
            dt = T.check_dtype(dtype, f"numpy.{ufunc.__name__}'s dtype")
            types = [as_value(x).type for x in inputs]
            operands = tuple(T._ufunc_operand(t) for t in types) + (None,) * ufunc.nout
            loop = ufunc.resolve_dtypes(operands, signature=(None,) * ufunc.nin + (dt,),
                                        casting=casting)
            inputs = [x if as_value(x).type.dtype == d and not as_value(x).type.weak
                      else apply("astype", x, dtype=d) for x, d in zip(inputs, loop)]
        result = apply(name, *inputs)
        if dtype is not None and result.dtype != dt:
            result = apply("astype", result, dtype=dt)
        return write_out(result, out, ufunc.__name__)

    return call


for _name, (_ufunc, _pyop) in UFUNCS.items():
    NUMPY_FUNCTIONS[(_ufunc, "__call__")] = _ufunc_call(_name, _ufunc)


def _composed_ufunc(ufunc: np.ufunc):
    """Register `fn(*inputs)` as `ufunc` (called without keywords or with out=/dtype=)."""

    def register_(fn):
        def call(*inputs, out=None, dtype=None, casting="same_kind", **unsupported):
            if unsupported or casting != "same_kind":
                raise NotImplementedError(f"flowjit does not support numpy.{ufunc.__name__} "
                                          f"with arguments {sorted(unsupported) or ['casting']}")
            if dtype is not None:
                dt = T.check_dtype(dtype)
                types = [as_value(x).type for x in inputs]
                operands = tuple(T._ufunc_operand(t) for t in types) + (None,) * ufunc.nout
                loop = ufunc.resolve_dtypes(operands, signature=(None,) * ufunc.nin + (dt,),
                                            casting=casting)
                inputs = [apply("astype", x, dtype=d) for x, d in zip(inputs, loop)]
            return write_out(fn(*inputs), out, ufunc.__name__)

        NUMPY_FUNCTIONS[(ufunc, "__call__")] = call
        return fn

    return register_


@_composed_ufunc(np.square)
def square(x):
    """`np.square(x)` is `x * x` with NumPy's dtype for square (bool -> int8 is refused)."""
    ufunc_output_dtype(np.square, [as_value(x).type])
    x = x if isinstance(x, Tensor) else Tensor(as_value(x))
    if x.type.weak:
        x = apply("astype", x, dtype=x.dtype)
    return apply("multiply", x, x)


@_composed_ufunc(np.conjugate)
def conjugate(x):
    """Real dtypes only: the conjugate is `positive` (bool -> int8 is refused, as for square)."""
    ufunc_output_dtype(np.conjugate, [as_value(x).type])
    return apply("positive", x)


def _to_bool(cond):
    """NumPy truthiness, elementwise: `cond != 0` unless `cond` is bool already."""
    v = as_value(cond)
    if v.type.dtype == T.BOOL and not v.type.weak:
        return cond
    if v.type.dtype == T.BOOL:
        return apply("astype", cond, dtype=T.BOOL)
    return apply("not_equal", cond, 0)


@implements(np.where)
def where(condition, x=None, y=None):
    """`np.where(cond, x, y)`; the one-argument form has a data-dependent shape."""
    if x is None and y is None:
        raise NotImplementedError("flowjit does not support np.where(cond) with one argument "
                                  "(its shape depends on the data); use np.where(cond, x, y).")
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    return apply("where", _to_bool(condition), x, y)


@implements(np.clip)
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kwargs):
    """`np.clip`, as NumPy's `_clip`: Python-int bounds beyond an integer array's range are
    dropped; one bound is `maximum`/`minimum`; both are the `clip` op (NumPy's clip ufunc,
    whose signed-zero results differ from `minimum(maximum(...))`)."""
    if kwargs:
        raise NotImplementedError(f"flowjit does not support numpy.clip with {sorted(kwargs)}")
    if a_min is not np._NoValue and min is not np._NoValue or \
            a_max is not np._NoValue and max is not np._NoValue:
        raise TypeError("Passed more than one argument for the same bound")
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    t = as_value(a).type
    if t.dtype.kind in "iu" and not t.weak:
        info = np.iinfo(t.dtype)
        if type(lo) is int and lo <= info.min:
            lo = None
        if type(hi) is int and hi >= info.max:
            hi = None
    if lo is None and hi is None:
        result = apply("positive", a)
    elif lo is None:
        result = apply("minimum", a, hi)
    elif hi is None:
        result = apply("maximum", a, lo)
    else:
        result = _clip_size_one_bounds(a, lo, hi)
        if result is None:
            result = apply("clip", a, lo, hi)
    return write_out(result, out, "clip")


def _clip_size_one_bounds(a, lo, hi):
    """NumPy's clip loop with size-one (scalar) float bounds returns `x` itself on ties
    (`np.clip(-0.0, 0.0, 3.0)` is -0.0), and NaN when a bound is NaN; with array bounds it
    returns the bound on ties (the `clip` op). None unless the bounds have size one and the
    loop is a float one."""
    types = [as_value(v).type for v in (a, lo, hi)]
    if not all(t.size == 1 for t in types[1:]):
        return None
    dt = ufunc_output_dtype(np._core.umath.clip, types)
    if dt.kind != "f":
        return None
    x, l, h = (v if isinstance(v, Tensor) and v.dtype == dt and not v.type.weak
               else apply("astype", v, dtype=dt) for v in (a, lo, hi))
    r = apply("where", apply("less", x, l), l, x)
    r = apply("where", apply("greater", r, h), h, r)
    nan_bound = apply("logical_or", apply("isnan", l), apply("isnan", h))
    return apply("where", nan_bound, apply("add", l, h), r)


@implements(np.round, np.around)
def round_(a, decimals=0, out=None):
    """`np.round` (half to even): `rint(a * 10**d) / 10**d` for floats, as NumPy computes it;
    integers are returned unchanged for `decimals >= 0`."""
    decimals = int(decimals)
    t = as_value(a).type
    if t.dtype == T.BOOL:
        raise NotImplementedError("numpy.round of a bool array gives float16, which flowjit "
                                  "does not compile; cast it first.")
    if t.dtype.kind in "iu":
        if decimals >= 0:
            result = apply("positive", a)
        else:
            # NumPy: y = a / 10**-d rounded half to even in float64, times 10**-d, cast back.
            f = 10 ** (-decimals)
            y = apply("multiply", apply("rint", apply("true_divide", a, f)), f)
            result = apply("astype", y, dtype=t.dtype)
    elif decimals == 0:
        result = apply("rint", a)
    elif decimals > 0:
        f = 10.0 ** decimals
        result = apply("true_divide", apply("rint", apply("multiply", a, f)), f)
    else:
        f = 10.0 ** (-decimals)
        result = apply("multiply", apply("rint", apply("true_divide", a, f)), f)
    return write_out(result, out, "round")
