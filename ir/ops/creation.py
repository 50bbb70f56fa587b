"""Array creation: `constant` (an array known at trace time) and `full` (zeros, ones, full,
and their `_like` forms)."""

from __future__ import annotations

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value, implements
from .registry import CONSTANT, CREATION, OpDef, register


def _constant_infer(types, attrs):
    value = attrs["value"]
    return (T.TensorType(T.check_dtype(value.dtype, "constant"), value.shape),)


register(OpDef("constant", _constant_infer, lambda value: value, CONSTANT,
               doc="an array known at trace time"))


def _full_infer(types, attrs):
    return (T.TensorType(T.check_dtype(attrs["dtype"]), attrs["shape"]),)


def _full_reference(fill_value, shape, dtype):
    if not all(isinstance(d, int) for d in shape):
        raise ValueError("full with a symbolic shape needs the dimension values")
    return np.full(shape, fill_value, dtype=dtype)


register(OpDef("full", _full_infer, _full_reference, CREATION,
               doc="numpy.full / zeros / ones and their _like forms"))


def _shape_tuple(shape) -> tuple:
    if isinstance(shape, Tensor):
        raise NotImplementedError("flowjit needs array shapes known at trace time; a traced "
                                  "value was given as a shape.")
    dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    for d in dims:
        if isinstance(d, Tensor):
            raise NotImplementedError("flowjit needs array shapes known at trace time; a "
                                      "traced value was given as a dimension.")
    return tuple(d if isinstance(d, T.Dim) else int(d) for d in dims)


def full(shape, fill_value, dtype=None) -> Tensor:
    """`np.full(shape, fill_value, dtype)`; the dtype defaults to NumPy's (that of the fill)."""
    shape = _shape_tuple(shape)
    if dtype is None:
        value = as_value(fill_value)
        dtype = value.type.dtype
    dtype = T.check_dtype(dtype, "the dtype")
    return apply("full", fill_value, shape=shape, dtype=dtype)


def _like(a, dtype, shape):
    base = a if isinstance(a, Tensor) else np.asarray(a)
    return (base.dtype if dtype is None else dtype), (base.shape if shape is None else shape)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype)


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, 0, dtype)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, 1, dtype)
