"""Reductions: sum, max, min, mean over all axes or some, with `keepdims` (NumPy's rules)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, implements
from .registry import REDUCTION, OpDef, register

#: name -> NumPy function; the result dtype is whatever NumPy gives for the input dtype.
REDUCTIONS = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean}


def normalize_axis(axis, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes.

    Raises:
      numpy.exceptions.AxisError: NumPy's error for an axis out of range or repeated.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        a %= ndim
        if a in out:
            raise ValueError("duplicate value in 'axis'")
        out.append(a)
    return tuple(sorted(out))


def _make_infer(fn):
    def infer(types: Sequence[T.TensorType], attrs: Mapping[str, Any]):
        (x,) = types
        axes, keepdims = attrs["axis"], attrs["keepdims"]
        # NumPy decides the result dtype from the input dtype alone (sum(int32) -> int64,
        # mean(int) -> float64, mean(float32) -> float32); ask it on a one-element sample.
        sample = np.ones((1,) * x.ndim, dtype=x.dtype)
        dtype = T.check_dtype(np.asarray(fn(sample, axis=axes, keepdims=keepdims)).dtype)
        shape = tuple((1 if keepdims else None) if i in axes else d for i, d in enumerate(x.shape))
        return (T.TensorType(dtype, tuple(d for d in shape if d is not None)),)

    return infer


def _make_reference(fn):
    def reference(x, axis, keepdims):
        return fn(x, axis=axis, keepdims=keepdims)

    return reference


for _name, _fn in REDUCTIONS.items():
    register(OpDef(_name, _make_infer(_fn), _make_reference(_fn), REDUCTION,
                   doc=f"numpy.{_name}(x, axis=None, keepdims=False)"))


def _reduce(name: str, a, axis, keepdims, dtype=None, out=None, **unsupported):
    if out is not None or dtype is not None or unsupported:
        given = ["out"] * (out is not None) + ["dtype"] * (dtype is not None) + sorted(unsupported)
        raise NotImplementedError(f"flowjit does not support numpy.{name} with {given}")
    if not isinstance(a, Tensor):
        return REDUCTIONS[name](a, axis=axis, keepdims=keepdims)
    return apply(name, a, axis=normalize_axis(axis, a.ndim), keepdims=bool(keepdims))


@implements(np.sum)
def sum_(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return _reduce("sum", a, axis, keepdims, dtype, out, **kw)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return _reduce("mean", a, axis, keepdims, dtype, out, **kw)


@implements(np.max, np.amax)
def max_(a, axis=None, out=None, keepdims=False, **kw):
    return _reduce("max", a, axis, keepdims, None, out, **kw)


@implements(np.min, np.amin)
def min_(a, axis=None, out=None, keepdims=False, **kw):
    return _reduce("min", a, axis, keepdims, None, out, **kw)
