"""Shape ops: reshape, transpose, broadcast_to, concatenate and dim; and the NumPy functions
built from them (ravel, flatten, squeeze, expand_dims, swapaxes, moveaxis, stack, ...).

Genuinely new op kinds (codegen lowers each):
  reshape(x; shape, source_axes)   C-order reshape; `shape` may hold `Dim`s, and
                                   `source_axes[i]` is the input axis a `Dim` entry comes from.
  transpose(x; axes)               a permutation of the axes.
  broadcast_to(x, *sizes; shape)   NumPy broadcasting of x to `shape`; `sizes` are the run-time
                                   lengths (`dim` values) of the `Dim` entries of `shape`.
  concatenate(*xs; axis)           joins along an existing axis.
  dim(x; axis)                     the run-time length of a symbolic axis, a weak int64 0-d
                                   value (what `x.shape[i]` gives when the axis is a `Dim`).
Everything else here composes these.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value, implements
from .registry import SHAPE, OpDef, register


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(as_value(x))


def _type(x) -> T.TensorType:
    return as_value(x).type


def normalize_axis_index(axis, ndim: int) -> int:
    """One axis, negatives allowed; NumPy's AxisError when out of range."""
    if isinstance(axis, Tensor):
        raise NotImplementedError("flowjit needs axes known at trace time; a traced value was "
                                  "given as an axis.")
    a = int(axis)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(a, ndim)
    return a % ndim


# -- dim ----------------------------------------------------------------------------------------

def _dim_infer(types, attrs):
    (x,) = types
    return (T.TensorType(T.INT64, (), weak=True),)


register(OpDef("dim", _dim_infer, lambda x, axis: int(np.shape(x)[axis]), SHAPE,
               doc="x.shape[axis] of a symbolic axis (a weak int64 scalar)"))


def dimension(x: Tensor, axis: int):
    """`x.shape[axis]`: a Python int for a static axis, a traced `dim` value for a `Dim`."""
    d = x.type.shape[axis]
    return d if isinstance(d, int) else apply("dim", x, axis=axis)


def static_dim(d):
    """A shape entry given by the user as an int, a `Dim`, or the traced result of `dim`
    (`x.shape[i]` of a symbolic axis) -> an int or a `Dim`."""
    if isinstance(d, Tensor):
        producer = d.value.producer
        if producer is not None and producer.name == "dim":
            return producer.operands[0].type.shape[producer.attrs["axis"]]
        raise NotImplementedError("flowjit needs array shapes known at trace time; a traced "
                                  "value was given as a dimension (only `x.shape[i]` of an "
                                  "argument declared with None in input_signature can be).")
    if T.is_symbolic(d):
        return d
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"'{type(d).__name__}' object cannot be interpreted as an integer")
    return int(d)


def shape_arg(shape) -> tuple:
    """A shape argument (an int, a dim, or a sequence of them) as a tuple of ints and Dims."""
    if isinstance(shape, (tuple, list)):
        return tuple(static_dim(d) for d in shape)
    return (static_dim(shape),)


# -- reshape ------------------------------------------------------------------------------------

def _fmt_shape(shape) -> str:
    parts = [str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _product(dims):
    out = 1
    for d in dims:
        out = T.dim_mul(out, d)
    return out


def resolve_reshape(in_shape, new_shape) -> tuple[tuple, tuple]:
    """`(shape, source_axes)` of `x.reshape(new_shape)` for `x` of `in_shape`.

    Sizes are dimension expressions (`types.DimExpr`): `(n, 3) -> (-1,)` gives `(3*n,)`,
    `(3*n,) -> (-1, 3)` gives `(n, 3)`. `source_axes[i]` is an input axis whose length equals
    the result's symbolic entry i (None if there is none, or for a static entry).

    Raises:
      ValueError: NumPy's messages ("cannot reshape array of size 6 into shape (4,)", ...).
      NotImplementedError: symbolic sizes flowjit cannot prove equal (or divisible).
    """
    new_shape = tuple(new_shape)
    unknown = [i for i, d in enumerate(new_shape) if isinstance(d, int) and d == -1]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    if any(isinstance(d, int) and d < -1 for d in new_shape):
        raise ValueError("negative dimensions not allowed")
    in_size = _product(in_shape)
    out_known = _product(d for d in new_shape if not (isinstance(d, int) and d == -1))
    static = isinstance(in_size, int) and isinstance(out_known, int)
    size_text = str(in_size)

    def cannot():
        return ValueError(f"cannot reshape array of size {size_text} into shape "
                          f"{_fmt_shape(new_shape)}")

    resolved = list(new_shape)
    if unknown:
        if static:
            if out_known == 0 or in_size % out_known:
                raise cannot()
            resolved[unknown[0]] = in_size // out_known
        else:
            if out_known == 0:
                raise cannot()
            quotient = None
            if isinstance(out_known, int) and out_known > 0:
                quotient = T.dim_floordiv(in_size, out_known)
            elif T.is_symbolic(out_known):
                # Divide by the symbolic part: the input's dims minus the new shape's.
                rest = list(in_shape)
                for d in new_shape:
                    if T.is_symbolic(d) and d in rest:
                        rest.remove(d)
                rest_size = _product(rest)
                left = _product(d for d in new_shape if isinstance(d, int) and d != -1)
                if T.is_symbolic(rest_size) or left == 0 or \
                        (isinstance(rest_size, int) and rest_size % left == 0):
                    quotient = T.dim_floordiv(rest_size, left) if left else None
            if quotient is None or T.dim_mul(quotient, out_known) != in_size:
                raise NotImplementedError(
                    f"reshape of an array of shape {_fmt_shape(in_shape)} into "
                    f"{_fmt_shape(new_shape)}: flowjit cannot prove the size {in_size} "
                    f"divisible by {out_known}; give the length explicitly.")
            resolved[unknown[0]] = quotient
    elif static:
        if in_size != out_known:
            raise cannot()
    elif in_size != out_known:
        raise NotImplementedError(f"reshape of an array of shape {_fmt_shape(in_shape)} into "
                                  f"{_fmt_shape(new_shape)}: flowjit cannot prove the sizes "
                                  f"{in_size} and {out_known} equal.")
    # A symbolic entry of the result takes its run-time length from an input axis with the
    # same length when there is one.
    source, used = [], set()
    for d in resolved:
        if T.is_symbolic(d):
            axis = next((i for i, e in enumerate(in_shape) if e == d and i not in used), None)
            if axis is not None:
                used.add(axis)
            source.append(axis)
        else:
            source.append(None)
    return tuple(resolved), tuple(source)


def _reshape_infer(types, attrs):
    (x,) = types
    shape = attrs["shape"]
    if x.is_static and all(isinstance(d, int) for d in shape) and x.size != math.prod(shape):
        raise ValueError(f"cannot reshape array of size {x.size} into shape {_fmt_shape(shape)}")
    return (T.TensorType(x.dtype, shape),)


def _reshape_reference(x, shape, source_axes):
    x = np.asarray(x)
    return x.reshape([x.shape[s] if s is not None else d if isinstance(d, int) else -1
                      for d, s in zip(shape, source_axes)])


register(OpDef("reshape", _reshape_infer, _reshape_reference, SHAPE,
               doc="numpy.reshape in C order (-1 resolved at trace time)"))


def reshape(a, *shape, order="C", newshape=None, copy=None):
    if newshape is not None:
        shape = (newshape,)
    if order != "C":
        raise NotImplementedError("flowjit supports only order='C' in reshape")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    new = tuple(static_dim(d) for d in shape)
    x = _tensor(a)
    resolved, source = resolve_reshape(x.type.shape, new)
    if tuple(resolved) == tuple(x.type.shape):
        # NumPy returns a view with the same shape; the same Tensor behaves like one.
        return x if not x.type.weak else apply("astype", x, dtype=x.dtype)
    return apply("reshape", x, shape=resolved, source_axes=source)


@implements(np.reshape)
def np_reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    if shape is None and newshape is None:
        raise TypeError("reshape() missing 1 required positional argument: 'shape'")
    return reshape(a, shape if shape is not None else newshape, order=order)


@implements(np.ravel)
def ravel(a, order="C"):
    x = _tensor(a)
    if x.ndim == 1:
        return x
    return reshape(x, -1, order=order)


def flatten(a, order="C"):
    x = _tensor(a)
    # flatten always copies: a new Tensor on the same value (a later `y[i] = v` rebinds only y).
    return reshape(x, -1, order=order) if x.ndim != 1 else copy_of(x)


def copy_of(x: Tensor) -> Tensor:
    """A copy of `x` (values are immutable in the IR, so a new Tensor on the same value)."""
    return Tensor(x.value) if not x.type.weak else apply("astype", x, dtype=x.dtype)


# -- transpose ----------------------------------------------------------------------------------

def _transpose_infer(types, attrs):
    (x,) = types
    axes = attrs["axes"]
    return (T.TensorType(x.dtype, tuple(x.shape[a] for a in axes)),)


register(OpDef("transpose", _transpose_infer,
               lambda x, axes: np.ascontiguousarray(np.transpose(x, axes)), SHAPE,
               doc="numpy.transpose(x, axes): a permutation of the axes"))


@implements(np.transpose)
def transpose(a, axes=None):
    x = _tensor(a)
    if axes is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        axes = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
        if len(axes) != x.ndim:
            raise ValueError("axes don't match array")
        perm = tuple(normalize_axis_index(a, x.ndim) for a in axes)
        if len(set(perm)) != len(perm):
            raise ValueError("repeated axis in transpose")
    if perm == tuple(range(x.ndim)):
        return x
    return apply("transpose", x, axes=perm)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    x = _tensor(a)
    i, j = normalize_axis_index(axis1, x.ndim), normalize_axis_index(axis2, x.ndim)
    perm = list(range(x.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(x, perm)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    x = _tensor(a)
    src = [source] if not isinstance(source, (tuple, list)) else list(source)
    dst = [destination] if not isinstance(destination, (tuple, list)) else list(destination)
    src = [normalize_axis_index(s, x.ndim) for s in src]
    dst = [normalize_axis_index(d, x.ndim) for d in dst]
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of "
                         "elements")
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


# -- axes of length one -------------------------------------------------------------------------

@implements(np.expand_dims)
def expand_dims(a, axis):
    x = _tensor(a)
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    norm = [normalize_axis_index(ax, out_ndim) for ax in axes]
    if len(set(norm)) != len(norm):
        raise ValueError("repeated axis")
    it = iter(x.type.shape)
    shape = tuple(1 if i in norm else next(it) for i in range(out_ndim))
    return reshape(x, shape)


@implements(np.squeeze)
def squeeze(a, axis=None):
    x = _tensor(a)
    shape = x.type.shape
    if axis is None:
        keep = [d for d in shape if d != 1]
    else:
        axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
        if x.ndim == 0 and all(ax in (0, -1) for ax in axes):
            return x  # NumPy treats a 0-d array as squeezable along axis 0
        norm = {normalize_axis_index(ax, x.ndim) for ax in axes}
        for ax in norm:
            if shape[ax] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not "
                                 "equal to one")
        keep = [d for i, d in enumerate(shape) if i not in norm]
    return reshape(x, tuple(keep))


@implements(np.atleast_1d)
def atleast_1d(*arys):
    out = [reshape(_tensor(a), (1,)) if _type(a).ndim == 0 else _tensor(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_2d)
def atleast_2d(*arys):
    out = []
    for a in arys:
        x = _tensor(a)
        out.append(reshape(x, (1, 1)) if x.ndim == 0 else
                   reshape(x, (1,) + x.type.shape) if x.ndim == 1 else x)
    return out[0] if len(out) == 1 else tuple(out)


# -- broadcast_to -------------------------------------------------------------------------------

def _broadcast_to_infer(types, attrs):
    x = types[0]
    shape = tuple(attrs["shape"])
    ok = len(shape) >= x.ndim
    if ok:
        try:
            ok = T.broadcast_shapes(x.shape, shape) == shape
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {_fmt_shape(x.shape)}  and requested shape "
                         f"{_fmt_shape(shape)}")
    return (T.TensorType(x.dtype, shape),)


def _broadcast_to_reference(x, *sizes, shape):
    it = iter(sizes)
    return np.array(np.broadcast_to(x, [d if isinstance(d, int) else int(next(it))
                                        for d in shape]))


register(OpDef("broadcast_to", _broadcast_to_infer, _broadcast_to_reference, SHAPE,
               doc="numpy.broadcast_to(x, shape)"))


def sizes_of(shape, sources) -> list:
    """The run-time lengths of the `Dim`s in `shape` (one `dim` value per Dim entry), taken
    from the first of `sources` (Tensors) that has an axis of that Dim."""
    sizes = []
    for d in shape:
        if T.is_symbolic(d):
            for src in sources:
                if isinstance(src, Tensor) and d in src.type.shape:
                    sizes.append(dimension(src, src.type.shape.index(d)))
                    break
            else:
                raise NotImplementedError(f"the length of symbolic dimension {d} is not "
                                          f"available here")
    return sizes


def broadcast_to_shape(x, shape, sources=()) -> Tensor:
    """`x` broadcast to `shape`; the `Dim`s of `shape` get their lengths from `sources`."""
    x = _tensor(x)
    if tuple(shape) == tuple(x.type.shape):
        return x
    return apply("broadcast_to", x, *sizes_of(shape, (x,) + tuple(sources)), shape=tuple(shape))


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    x = _tensor(array)
    given = shape if isinstance(shape, (tuple, list)) else (shape,)
    shape = shape_arg(shape)
    if any(isinstance(d, int) and d < 0 for d in shape):
        raise ValueError("all elements of broadcast shape must be non-negative")
    if tuple(shape) == tuple(x.type.shape):
        return x
    sizes = [g for g, d in zip(given, shape) if T.is_symbolic(d) and isinstance(g, Tensor)]
    if len(sizes) != sum(T.is_symbolic(d) for d in shape):
        sizes = sizes_of(shape, (x,))
    return apply("broadcast_to", x, *sizes, shape=shape)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    shape = T.broadcast_shapes(*(_type(a).shape for a in args))
    return tuple(broadcast_to_shape(a, shape, args) for a in args)


# -- concatenate --------------------------------------------------------------------------------

def _concatenate_infer(types, attrs):
    axis = attrs["axis"]
    first = types[0]
    if first.ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    for i, t in enumerate(types[1:], 1):
        if t.ndim != first.ndim:
            raise ValueError(f"all the input arrays must have same number of dimensions, but "
                             f"the array at index 0 has {first.ndim} dimension(s) and the array "
                             f"at index {i} has {t.ndim} dimension(s)")
    for i, t in enumerate(types[1:], 1):
        for d in range(first.ndim):
            if d != axis and t.shape[d] != first.shape[d]:
                raise ValueError(f"all the input array dimensions except for the concatenation "
                                 f"axis must match exactly, but along dimension {d}, the array "
                                 f"at index 0 has size {first.shape[d]} and the array at index "
                                 f"{i} has size {t.shape[d]}")
    total = 0
    for t in types:   # a dimension expression when some lengths are symbolic (`n+m`)
        total = T.dim_add(total, t.shape[axis])
    dtype = T.check_dtype(np.result_type(*(t.dtype for t in types)))
    shape = first.shape[:axis] + (total,) + first.shape[axis + 1:]
    return (T.TensorType(dtype, shape),)


register(OpDef("concatenate", _concatenate_infer,
               lambda *xs, axis: np.concatenate(xs, axis=axis), SHAPE,
               doc="numpy.concatenate(arrays, axis)"))


def _sequence(arrays, fname):
    if isinstance(arrays, Tensor):
        raise NotImplementedError(f"numpy.{fname} of one traced array (iterating over it) is "
                                  f"not supported; pass a list of arrays.")
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    return arrays


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    from .elementwise import write_out
    arrays = _sequence(arrays, "concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    xs = [_tensor(a) for a in arrays]
    if xs[0].ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(axis, xs[0].ndim)
    if dtype is not None:
        dt = T.check_dtype(dtype)
        for x in xs:
            if not np.can_cast(x.dtype, dt, casting=casting):
                raise TypeError(f"Cannot cast array data from dtype('{x.dtype}') to "
                                f"dtype('{dt}') according to the rule '{casting}'")
        xs = [x if x.dtype == dt else apply("astype", x, dtype=dt) for x in xs]
    result = xs[0] if len(xs) == 1 else apply("concatenate", *xs, axis=axis)
    if len(xs) == 1:
        result = copy_of(result)
    return write_out(result, out, "concatenate")


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = _sequence(arrays, "stack")
    xs = [_tensor(a) for a in arrays]
    shapes = {tuple(x.type.shape) for x in xs}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, xs[0].ndim + 1)
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis, out=out, dtype=dtype,
                       casting=casting)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate(atleast_2d(*_sequence(tup, "vstack")) if len(tup) > 1
                       else [atleast_2d(*tup)], axis=0, dtype=dtype, casting=casting)


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = atleast_1d(*_sequence(tup, "hstack"))
    arrs = list(arrs) if isinstance(arrs, tuple) else [arrs]
    axis = 0 if arrs[0].ndim == 1 else 1
    return concatenate(arrs, axis=axis, dtype=dtype, casting=casting)


@implements(np.shape)
def shape_(a):
    return _tensor(a).shape


@implements(np.ndim)
def ndim_(a):
    return _type(a).ndim


@implements(np.size)
def size_(a, axis=None):
    x = _tensor(a)
    dims = x.type.shape if axis is None else (x.type.shape[normalize_axis_index(axis, x.ndim)],)
    if all(isinstance(d, int) for d in dims):
        return math.prod(dims)
    result = 1
    for i, d in enumerate(x.type.shape if axis is None else dims):
        result = result * (d if isinstance(d, int) else
                           dimension(x, i if axis is None else normalize_axis_index(axis, x.ndim)))
    return result
