"""Reductions and scans with NumPy's axis, keepdims and dtype rules.

Ops (attrs):
  sum, prod, mean       (axis: sorted tuple, keepdims, [dtype]); accumulate in the result dtype
  max, min              (axis, keepdims); NaN propagates; empty reductions raise at trace time
  any, all              (axis, keepdims) -> bool
  argmax, argmin        (axis: int or None = flattened, keepdims) -> int64; first NaN wins
  cumsum, cumprod       (axis: int, [dtype]) -> same shape (axis=None is ravel first)
`var` and `std` are compositions (sum, subtract, multiply, true_divide, astype, sqrt), exactly
NumPy's `_var` algorithm.

A result dtype is whatever NumPy gives (sum(int32) -> int64, mean(int) -> float64,
mean(float32) -> float32), asked of NumPy on a tiny sample of the input's dtype whose shape keeps
the zero-length axes: so an invalid reduction of an empty array (`np.max` of a (0,) array, an
`argmax` of an empty axis) raises NumPy's own exception at trace time.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Mapping, Sequence

import numpy as np

from .. import types as T
from ..tracing import NUMPY_FUNCTIONS, Tensor, apply, as_value, implements
from .registry import REDUCTION, OpDef, register

#: name -> NumPy function. The keyword arguments each op passes are its attrs.
REDUCTIONS = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max, "min": np.min,
              "any": np.any, "all": np.all, "argmax": np.argmax, "argmin": np.argmin,
              "cumsum": np.cumsum, "cumprod": np.cumprod}
_TAKES_DTYPE = {"sum", "prod", "mean", "cumsum", "cumprod"}
_SCANS = {"cumsum", "cumprod"}
_ARG = {"argmax", "argmin"}


def normalize_axis(axis, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes.

    Raises:
      numpy.exceptions.AxisError: NumPy's error for an axis out of range.
      ValueError: a repeated axis.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        raise NotImplementedError("flowjit needs the axis known at trace time; a traced value "
                                  "was given as an axis.")
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out = []
    for a in axes:
        if isinstance(a, (float, np.floating)):
            raise TypeError(f"'{type(a).__name__}' object cannot be interpreted as an integer")
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        a %= ndim
        if a in out:
            raise ValueError("duplicate value in 'axis'")
        out.append(a)
    return tuple(sorted(out))


def _sample(x: T.TensorType) -> np.ndarray:
    # Length 0 where the input has length 0, else 1 (a symbolic axis counts as non-empty; an
    # empty one raises at run time, from the reference or from native code).
    return np.ones(tuple(0 if d == 0 else 1 for d in x.shape), dtype=x.dtype)


def _result_shape(name: str, x: T.TensorType, attrs) -> tuple:
    if name in _SCANS:
        return tuple(x.shape)
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    if name in _ARG:
        axes = tuple(range(x.ndim)) if axis is None else (axis,)
    else:
        axes = axis
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    return tuple(d for i, d in enumerate(x.shape) if i not in axes)


def _make_infer(name: str, fn):
    def infer(types: Sequence[T.TensorType], attrs: Mapping[str, Any]):
        (x,) = types
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sample = fn(_sample(x), **attrs)
        dtype = np.asarray(sample).dtype
        if dtype not in T.SUPPORTED_DTYPES:
            raise NotImplementedError(f"numpy.{name} of {x.dtype} gives dtype {dtype}, which "
                                      f"flowjit does not compile; pass dtype=... or cast first.")
        return (T.TensorType(dtype, _result_shape(name, x, attrs)),)

    infer.__name__ = f"_{name}_infer"
    return infer


def _make_reference(fn):
    def reference(x, **attrs):
        return fn(x, **attrs)

    return reference


for _name, _fn in REDUCTIONS.items():
    register(OpDef(_name, _make_infer(_name, _fn), _make_reference(_fn), REDUCTION,
                   doc=f"numpy.{_name}"))


def _unsupported(name, **given):
    bad = sorted(k for k, v in given.items() if v is not None and v is not np._NoValue
                 and not (k == "where" and v is True))
    if bad:
        raise NotImplementedError(f"flowjit does not support numpy.{name} with {bad} on traced "
                                  f"values.")


def _strong(a) -> Tensor:
    """`a` as a strong Tensor (NumPy reductions turn a Python scalar into an array)."""
    if isinstance(a, Tensor) and not a.type.weak:
        return a
    v = as_value(a)
    return apply("astype", Tensor(v), dtype=v.type.dtype)


def _out(result, out, name):
    from .elementwise import write_out
    return write_out(result, out, name)


def reduce(name: str, a, axis=None, keepdims=False, dtype=None, out=None):
    """Emit reduction `name` of `a` over `axis` (NumPy's argument conventions)."""
    x = _strong(a)
    attrs = {"axis": normalize_axis(axis, x.ndim), "keepdims": bool(keepdims)}
    if dtype is not None:
        attrs["dtype"] = T.check_dtype(dtype, f"numpy.{name}'s dtype")
    return _out(apply(name, x, **attrs), out, name)


@implements(np.sum)
def sum_(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    _unsupported("sum", initial=initial, where=where)
    return reduce("sum", a, axis, keepdims, dtype, out)


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    _unsupported("prod", initial=initial, where=where)
    return reduce("prod", a, axis, keepdims, dtype, out)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    _unsupported("mean", where=where)
    return reduce("mean", a, axis, keepdims, dtype, out)


@implements(np.max, np.amax)
def max_(a, axis=None, out=None, keepdims=False, initial=None, where=True):
    _unsupported("max", initial=initial, where=where)
    return reduce("max", a, axis, keepdims, None, out)


@implements(np.min, np.amin)
def min_(a, axis=None, out=None, keepdims=False, initial=None, where=True):
    _unsupported("min", initial=initial, where=where)
    return reduce("min", a, axis, keepdims, None, out)


@implements(np.any)
def any_(a, axis=None, out=None, keepdims=False, *, where=True):
    _unsupported("any", where=where)
    return reduce("any", a, axis, keepdims, None, out)


@implements(np.all)
def all_(a, axis=None, out=None, keepdims=False, *, where=True):
    _unsupported("all", where=where)
    return reduce("all", a, axis, keepdims, None, out)


def _arg(name, a, axis, out, keepdims):
    x = _strong(a)
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            raise TypeError("'tuple' object cannot be interpreted as an integer")
        (axis,) = normalize_axis(axis, x.ndim)
    return _out(apply(name, x, axis=axis, keepdims=bool(keepdims)), out, name)


@implements(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    return _arg("argmax", a, axis, out, keepdims)


@implements(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    return _arg("argmin", a, axis, out, keepdims)


def _scan(name, a, axis, dtype, out):
    from .shape import ravel
    x = _strong(a)
    if axis is None:
        x = ravel(x) if x.ndim != 1 else x
        axis = 0
    elif isinstance(axis, (tuple, list)):
        raise TypeError("'tuple' object cannot be interpreted as an integer")
    (axis,) = normalize_axis(axis, x.ndim)
    attrs = {"axis": axis}
    if dtype is not None:
        attrs["dtype"] = T.check_dtype(dtype, f"numpy.{name}'s dtype")
    return _out(apply(name, x, **attrs), out, name)


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    return _scan("cumsum", a, axis, dtype, out)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    return _scan("cumprod", a, axis, dtype, out)


def reduced_count(x: Tensor, axes: tuple[int, ...]):
    """The number of elements reduced over `axes`, as NumPy's `intp` (a strong int64): a NumPy
    scalar when the axes are static, else a traced product of `dim` values."""
    from .shape import dimension
    dims = [x.type.shape[i] for i in axes]
    if all(isinstance(d, int) for d in dims):
        return np.int64(math.prod(dims))
    count = np.int64(math.prod(d for d in dims if isinstance(d, int)))
    for i in axes:
        if not isinstance(x.type.shape[i], int):
            count = apply("multiply", count, apply("astype", dimension(x, i), dtype=T.INT64))
    return count


def _cast_to(result: Tensor, dtype) -> Tensor:
    return result if result.dtype == dtype else apply("astype", result, dtype=dtype)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=np._NoValue):
    """NumPy's `_var`: mean with the count as intp, squared deviations, sum, divide by
    `max(count - ddof, 0)`; each division casts back to the accumulator's dtype."""
    _unsupported("var", where=where, mean=mean)
    if correction is not np._NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    x = _strong(a)
    axes = normalize_axis(axis, x.ndim)
    if dtype is None and x.dtype.kind in "biu":
        dtype = T.FLOAT64
    attrs = {"axis": axes}
    if dtype is not None:
        attrs["dtype"] = T.check_dtype(dtype, "numpy.var's dtype")
    count = reduced_count(x, axes)
    arrmean = apply("sum", x, keepdims=True, **attrs)
    arrmean = _cast_to(apply("true_divide", arrmean, count), arrmean.dtype)
    dev = apply("subtract", x, arrmean)
    dev = apply("multiply", dev, dev)
    ret = apply("sum", dev, keepdims=bool(keepdims), **attrs)
    if isinstance(count, np.generic):
        denom = np.maximum(count - ddof, 0)
    else:
        denom = apply("maximum", apply("subtract", count, ddof), 0)
    ret = _cast_to(apply("true_divide", ret, denom), ret.dtype)
    return _out(ret, out, "var")


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=np._NoValue):
    ret = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, mean=mean,
              correction=correction)
    return _out(_cast_to(apply("sqrt", ret), ret.dtype), out, "std")


# `np.add.reduce(x, axis=0)` and friends (ufunc methods; the default axis is 0).
def _ufunc_reduce(name):
    def method(a, axis=0, dtype=None, out=None, keepdims=False, initial=np._NoValue,
               where=True):
        _unsupported(f"{name} (ufunc.reduce)", initial=initial, where=where)
        return reduce(name, a, axis, keepdims, dtype if name in _TAKES_DTYPE else None, out)

    return method


for _ufunc, _name in ((np.add, "sum"), (np.multiply, "prod"), (np.maximum, "max"),
                      (np.minimum, "min")):
    NUMPY_FUNCTIONS[(_ufunc, "reduce")] = _ufunc_reduce(_name)
