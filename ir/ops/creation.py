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
    from .shape import shape_arg
    return shape_arg(shape)


def full(shape, fill_value, dtype=None) -> Tensor:
    """`np.full(shape, fill_value, dtype)`; the dtype defaults to NumPy's (that of the fill)."""
    shape = _shape_tuple(shape)
    if dtype is None:
        value = as_value(fill_value)
        dtype = value.type.dtype
    dtype = T.check_dtype(dtype, "the dtype")
    return apply("full", fill_value, shape=shape, dtype=dtype)


def _like(a, dtype, shape):
    base = a.type if isinstance(a, Tensor) else np.asarray(a)
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


# -- creation functions (issue 4) ---------------------------------------------------------------
# NumPy's zeros/ones/empty/full/arange/eye have no array argument, so NumPy never dispatches them
# to `__array_function__`: with static arguments they simply run eagerly at trace time (the
# array becomes a `constant`). The implementations below are registered in NUMPY_FUNCTIONS for
# callers that redirect them when an argument is traced (a symbolic `x.shape[i]`).

def _shape(shape) -> tuple:
    from .shape import shape_arg
    dims = shape_arg(shape)
    for d in dims:
        if isinstance(d, int) and d < 0:
            raise ValueError("negative dimensions are not allowed")
    return dims


@implements(np.zeros)
def zeros(shape, dtype=float, order="C", *, like=None, device=None):
    return full(_shape(shape), 0, T.check_dtype(dtype, "the dtype"))


@implements(np.ones)
def ones(shape, dtype=None, order="C", *, like=None, device=None):
    return full(_shape(shape), 1, T.check_dtype(float if dtype is None else dtype, "the dtype"))


@implements(np.empty)
def empty(shape, dtype=float, order="C", *, like=None, device=None):
    """Uninitialized in NumPy; zeros here (any content is a valid `np.empty`)."""
    return full(_shape(shape), 0, T.check_dtype(dtype, "the dtype"))


@implements(np.full)
def full_(shape, fill_value, dtype=None, order="C", *, like=None, device=None):
    if dtype is None and isinstance(fill_value, Tensor) and fill_value.type.weak:
        dtype = fill_value.dtype  # np.array(python scalar).dtype
    return full(_shape(shape), fill_value, dtype)


@implements(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(prototype, dtype, shape)
    return full(shape, 0, dtype)


def _arange_infer(types, attrs):
    return (T.TensorType(T.check_dtype(attrs["dtype"]), attrs["shape"]),)


def _arange_reference(*length, start, stop, step, dtype, shape):
    if length:  # a symbolic length: the run-time value of the `dim` operand
        return np.arange(start, start + int(length[0]) * step, step, dtype=dtype)
    return np.arange(start, stop, step, dtype=dtype)


register(OpDef("arange", _arange_infer, _arange_reference, CREATION,
               doc="numpy.arange: element i is start + i*delta, delta = (start+step) - start "
                   "in dtype; a symbolic length is the `dim` operand"))


@implements(np.arange)
def arange(*args, dtype=None, like=None, device=None, **kw):
    """`np.arange([start,] stop[, step], dtype=None)` with static bounds, or `np.arange(n)`
    with `n = x.shape[i]` of a symbolic axis."""
    from .shape import static_dim
    if kw:
        args = args + tuple(kw[k] for k in ("start", "stop", "step") if k in kw)
    if not 1 <= len(args) <= 3:
        raise TypeError("arange() requires stop to be specified.")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (tuple(args) + (1,))[:3]
    if isinstance(stop, Tensor) and not isinstance(start, Tensor) and start == 0 and step == 1:
        n = static_dim(stop)  # NotImplementedError unless it is a symbolic dimension
        dt = T.check_dtype(np.int64 if dtype is None else dtype, "the dtype")
        if isinstance(n, int):
            return constant(np.arange(n, dtype=dt))
        return apply("arange", stop, start=0, stop=None, step=1, dtype=dt, shape=(n,))
    for v in (start, stop, step):
        if isinstance(v, Tensor):
            raise NotImplementedError("flowjit needs numpy.arange's bounds known at trace time "
                                      "(the length of the result depends on them)")
    eager = np.arange(start, stop, step, dtype=dtype)
    T.check_dtype(eager.dtype, "numpy.arange's result")
    return apply("arange", start=start, stop=stop, step=step, dtype=eager.dtype,
                 shape=eager.shape)


@implements(np.eye)
def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    """`np.eye` as `(arange(N)[:, None] + k == arange(M)[None, :]).astype(dtype)`."""
    from .shape import reshape
    M = N if M is None else M
    dt = T.check_dtype(dtype, "the dtype")
    rows = reshape(arange(N), (-1, 1))
    cols = reshape(arange(M), (1, -1))
    return apply("astype", apply("equal", apply("add", rows, int(k)), cols), dtype=dt)


@implements(np.identity)
def identity(n, dtype=None, *, like=None):
    return eye(n, dtype=float if dtype is None else dtype)


@implements(np.copy)
def copy(a, order="K", subok=False):
    from .shape import copy_of
    return copy_of(a if isinstance(a, Tensor) else Tensor(as_value(a)))
