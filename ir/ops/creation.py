"""Array creation: `constant` (an array known at trace time) and `full` (zeros, ones, full,
and their `_like` forms)."""

from __future__ import annotations

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value, constant, implements
from .registry import CONSTANT, CREATION, OpDef, register


def _constant_infer(types, attrs):
    value = attrs["value"]
    return (T.TensorType(T.check_dtype(value.dtype, "constant"), value.shape),)


register(OpDef("constant", _constant_infer, lambda value: value, CONSTANT,
               doc="an array known at trace time"))


def _full_infer(types, attrs):
    n_sym = sum(1 for d in attrs["shape"] if T.is_symbolic(d))
    if len(types) != 1 + n_sym:
        raise ValueError(f"full of shape {attrs['shape']} takes the fill value and {n_sym} "
                         f"run-time sizes, got {len(types)} operands")
    return (T.TensorType(T.check_dtype(attrs["dtype"]), attrs["shape"]),)


def _full_reference(fill_value, *sizes, shape, dtype):
    it = iter(sizes)
    return np.full([d if isinstance(d, int) else int(next(it)) for d in shape], fill_value,
                   dtype=dtype)


register(OpDef("full", _full_infer, _full_reference, CREATION,
               doc="numpy.full / zeros / ones / empty and their _like forms; operands: the fill "
                   "value, then the run-time length of each symbolic dimension of `shape`"))


def _shape_and_sizes(shape, sources=()) -> tuple[tuple, list]:
    """`(shape, sizes)`: a shape argument as ints and `Dim`s, and one run-time size (a `dim`
    value) per `Dim` entry: the traced `x.shape[i]` the user passed, or one taken from
    `sources` (Tensors with an axis of that Dim)."""
    from .shape import sizes_of, static_dim
    entries = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    dims, sizes = [], []
    for e in entries:
        d = static_dim(e)
        if isinstance(d, int) and d < 0:
            raise ValueError("negative dimensions are not allowed")
        dims.append(d)
        if T.is_symbolic(d):
            sizes.append(e if isinstance(e, Tensor) else sizes_of((d,), sources)[0])
    return tuple(dims), sizes


def full(shape, fill_value, dtype=None, sources=()) -> Tensor:
    """`np.full(shape, fill_value, dtype)`; the dtype defaults to NumPy's (that of the fill).
    `shape` may hold ints, `Dim`s (sized from `sources`) and traced `x.shape[i]` values."""
    shape, sizes = _shape_and_sizes(shape, sources)
    if dtype is None:
        value = as_value(fill_value)
        dtype = value.type.dtype
    dtype = T.check_dtype(dtype, "the dtype")
    return apply("full", fill_value, *sizes, shape=shape, dtype=dtype)


def _like(a, dtype, shape):
    base = a.type if isinstance(a, Tensor) else np.asarray(a)
    return (base.dtype if dtype is None else dtype), (base.shape if shape is None else shape)


def _full_like(a, fill_value, dtype, shape):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype, sources=(a,) if isinstance(a, Tensor) else ())


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _full_like(a, fill_value, dtype, shape)


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    return _full_like(a, 0, dtype, shape)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    return _full_like(a, 1, dtype, shape)


# -- creation functions (issue 4) ---------------------------------------------------------------
# NumPy's zeros/ones/empty/full/arange/eye have no array argument, so NumPy never dispatches them
# to `__array_function__`: with static arguments they simply run eagerly at trace time (the
# array becomes a `constant`). The implementations below are registered in NUMPY_FUNCTIONS for
# callers that redirect them when an argument is traced (a symbolic `x.shape[i]`).

@implements(np.zeros)
def zeros(shape, dtype=float, order="C", *, like=None, device=None):
    return full(shape, 0, T.check_dtype(dtype, "the dtype"))


@implements(np.ones)
def ones(shape, dtype=None, order="C", *, like=None, device=None):
    return full(shape, 1, T.check_dtype(float if dtype is None else dtype, "the dtype"))


@implements(np.empty)
def empty(shape, dtype=float, order="C", *, like=None, device=None):
    """Uninitialized in NumPy; zeros here (any content is a valid `np.empty`)."""
    return full(shape, 0, T.check_dtype(dtype, "the dtype"))


@implements(np.full)
def full_(shape, fill_value, dtype=None, order="C", *, like=None, device=None):
    if dtype is None and isinstance(fill_value, Tensor) and fill_value.type.weak:
        dtype = fill_value.dtype  # np.array(python scalar).dtype
    return full(shape, fill_value, dtype)


@implements(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _full_like(prototype, 0, dtype, shape)


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
    if isinstance(stop, Tensor) and not isinstance(start, Tensor) and start == 0 and \
            step == 1 and stop.value.producer is not None and stop.value.producer.name == "dim":
        n = static_dim(stop)  # NotImplementedError unless it is a symbolic dimension
        dt = T.check_dtype(np.int64 if dtype is None else dtype, "the dtype")
        if isinstance(n, int):
            return constant(np.arange(n, dtype=dt))
        return apply("arange", stop, start=0, stop=None, step=1, dtype=dt, shape=(n,))
    if any(isinstance(v, Tensor) for v in (start, stop, step)):
        return _dynamic_arange(start, stop, step, dtype)
    eager = np.arange(start, stop, step, dtype=dtype)
    T.check_dtype(eager.dtype, "numpy.arange's result")
    return apply("arange", start=start, stop=stop, step=step, dtype=eager.dtype,
                 shape=eager.shape)


def size_dim(length):
    """The dimension of a traced non-negative int64 0-d `length`: the `Dim` (or expression) when
    it is `x.shape[i]` of a symbolic axis, else a new `DynamicDim` bound to it (known only when
    the compiled code runs)."""
    producer = length.value.producer if isinstance(length, Tensor) else None
    while producer is not None and producer.name == "astype" and \
            producer.operands[0].type.dtype == T.INT64:       # a weak x.shape[i] made strong
        producer = producer.operands[0].producer
    if producer is not None and producer.name == "dim":
        return producer.operands[0].type.shape[producer.attrs["axis"]]
    return T.new_dynamic_dim(as_value(length))


def as_length(n) -> Tensor:
    """A traced integer count as a non-weak int64 0-d Tensor."""
    n = n if isinstance(n, Tensor) else Tensor(as_value(n))
    if n.dtype != T.INT64 or n.type.weak:
        n = apply("astype", n, dtype=T.INT64)
    return n


def _dynamic_arange(start, stop, step, dtype):
    """`np.arange(start, stop, step)` with traced integer bounds: the length
    `max(0, ceil((stop - start) / step))` is computed at run time and the result has a
    `DynamicDim` bound to it."""
    for v in (start, stop, step):
        kind = v.dtype.kind if isinstance(v, Tensor) else np.asarray(v).dtype.kind
        if kind not in "iub" or (isinstance(v, Tensor) and v.ndim):
            raise NotImplementedError("flowjit supports numpy.arange with traced bounds only "
                                      "for integer scalars (the length of the result depends "
                                      "on them); convert float bounds to a count first.")
    if not isinstance(step, Tensor) and step == 0:
        raise ZeroDivisionError("division by zero")
    dt = T.check_dtype(np.int64 if dtype is None else dtype, "the dtype")
    s0, s1, s2 = (as_length(v) if isinstance(v, Tensor) else int(v)
                  for v in (start, stop, step))
    span = apply("subtract", s1, s0)
    if isinstance(s2, int) and s2 == 1:
        q = span
    elif isinstance(s2, int):
        q = apply("floor_divide", apply("add", span, s2 - 1 if s2 > 0 else s2 + 1), s2)
    else:
        up = apply("floor_divide", apply("add", apply("subtract", span, 1), s2), s2)
        down = apply("floor_divide", apply("add", apply("add", span, 1), s2), s2)
        q = apply("where", apply("greater", s2, 0), up, down)
    length = as_length(apply("maximum", q, 0))
    index = apply("arange", length, start=0, stop=None, step=1, dtype=T.INT64,
                  shape=(size_dim(length),))
    values = index if isinstance(s2, int) and s2 == 1 else apply("multiply", index, s2)
    if not (isinstance(s0, int) and s0 == 0):
        values = apply("add", values, s0)
    return values if dt == T.INT64 else apply("astype", values, dtype=dt)


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


def _is_traced(x) -> bool:
    return isinstance(x, Tensor)


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """NumPy's `linspace` algorithm (function_base.py) on traced `start`/`stop`: arange(num)
    times `step = (stop - start) / div` (or divided by `div` then times the difference where
    `step` is 0, NumPy's denormal rule, chosen per element at run time), plus `start`, the
    last element set to `stop`."""
    import operator as _operator
    from .shape import moveaxis, reshape
    num = _operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num

    def operand(x):
        t = as_value(x).type
        return T.PYTHON_TYPE_OF_WEAK[t.dtype](0) if t.weak else t.dtype

    dt = np.result_type(operand(start), operand(stop))
    if dt.kind not in "fc":
        dt = np.result_type(dt, 1.0)
    dt = T.check_dtype(dt, "numpy.linspace's result")
    integer_dtype = dtype is not None and np.issubdtype(dtype, np.integer)
    dtype = dt if dtype is None else T.check_dtype(dtype, "numpy.linspace's dtype")
    start_t = apply("astype", start, dtype=dt) if not _is_traced(start) or \
        start.dtype != dt else start
    stop_t = apply("astype", stop, dtype=dt) if not _is_traced(stop) or \
        stop.dtype != dt else stop
    delta = apply("subtract", stop_t, start_t)
    nd = delta.ndim
    y = reshape(constant(np.arange(0, num, dtype=dt)), (-1,) + (1,) * nd)
    if div > 0:
        step = apply("true_divide", delta, div)
        step = step if step.dtype == dt else apply("astype", step, dtype=dt)
        zero = apply("equal", step, 0)
        if nd:
            zero = apply("any", zero, axis=tuple(range(nd)), keepdims=False)
        y = apply("where", zero,
                  apply("multiply", _cast(apply("true_divide", y, div), dt), delta),
                  apply("multiply", y, step))
    else:
        step = np.nan
        y = apply("multiply", y, delta)
    y = _cast(apply("add", y, start_t), dt)
    if endpoint and num > 1:
        y[-1, ...] = stop
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if integer_dtype:
        y = apply("floor", y)
    y = _cast(y, dtype)
    if retstep:
        return y, step
    return y


def _cast(x: Tensor, dtype) -> Tensor:
    return x if x.dtype == dtype and not x.type.weak else apply("astype", x, dtype=dtype)


def _scalar_type(dtype):
    """`np.float32(x)` and friends on a traced `x`: NumPy converts an array elementwise
    (`np.float32(arr)` is `arr.astype(np.float32)`, a 0-d one a scalar)."""
    dt = T.check_dtype(dtype)

    def cast(x=0, /):
        if not _is_traced(x):
            x = as_array(x)
        return apply("astype", x, dtype=dt)

    cast.__name__ = f"numpy.{dt.name}"
    return cast


def as_array(obj, dtype=None) -> Tensor:
    """`np.asarray(obj, dtype)` where `obj` is traced or a nested list/tuple holding traced
    values (stacked, with NumPy's promotion of the elements)."""
    from .shape import stack
    if isinstance(obj, (list, tuple)):
        items = [as_array(o) if isinstance(o, (list, tuple)) or _is_traced(o) else o
                 for o in obj]

        def operand(x):  # array coercion: Python scalars count as int64/float64/bool
            return x.dtype if _is_traced(x) else np.asarray(x).dtype

        if not items:
            return constant(np.asarray(obj, dtype=dtype if dtype is not None else None))
        dt = np.result_type(*(operand(x) for x in items)) if dtype is None else dtype
        dt = T.check_dtype(dt, "numpy.asarray's result")
        result = stack([apply("astype", x, dtype=dt) for x in items])
    else:
        result = obj if _is_traced(obj) else Tensor(as_value(obj))
    if dtype is not None or result.type.weak:
        result = apply("astype", result,
                       dtype=T.check_dtype(result.dtype if dtype is None else dtype))
    return result


def _array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    from .shape import reshape
    if order not in ("K", "A", "C", None) or ndmin or subok:
        raise NotImplementedError("flowjit supports numpy.array(x, dtype) of traced values "
                                  "(order='C', no ndmin or subok)")
    result = as_array(object, dtype)
    if result is object:  # a new array, not a view: a new Tensor on the same value
        from .shape import copy_of
        result = copy_of(result)
    return result


def _asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return as_array(a, dtype)


#: NumPy callables that NumPy never dispatches to traced values (they take no array argument,
#: or are scalar types), so `np.zeros(x.shape)` with a symbolic dimension, `np.arange(n)`,
#: `np.float32(x)` would run eagerly and fail on a traced argument. AutoGraph's
#: `converted_call` calls these implementations instead when an argument is traced.
TRACED_ARGUMENT_FUNCTIONS = {
    np.zeros: zeros, np.ones: ones, np.empty: empty, np.full: full_, np.arange: arange,
    np.linspace: linspace, np.eye: eye, np.identity: identity,
    np.array: _array, np.asarray: _asarray, np.asanyarray: _asarray,
    np.ascontiguousarray: _asarray,
    np.bool_: _scalar_type(np.bool_), np.int32: _scalar_type(np.int32),
    np.int64: _scalar_type(np.int64), np.float32: _scalar_type(np.float32),
    np.float64: _scalar_type(np.float64),
}


def traced_argument_function(f, args, kwargs):
    """flowjit's implementation of NumPy callable `f` if NumPy would not dispatch this call to
    the traced values among `args`/`kwargs` (see `TRACED_ARGUMENT_FUNCTIONS`), else None."""
    try:
        impl = TRACED_ARGUMENT_FUNCTIONS.get(f)
    except TypeError:  # unhashable callables
        return None
    if impl is None:
        return None

    def traced(x) -> bool:
        if isinstance(x, (Tensor, T.Dim, T.DimExpr)):
            return True
        if isinstance(x, (list, tuple)):
            return any(traced(e) for e in x)
        return False

    if any(traced(a) for a in args) or any(traced(v) for v in kwargs.values()):
        return impl
    return None
