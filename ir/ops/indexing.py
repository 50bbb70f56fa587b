"""Basic indexing: `x[i, 1:3, None, ...]` (getitem) and `x[i] = v` (setitem), with static or
traced integer indices, as NumPy's basic indexing defines them.

The index is normalized at trace time into a tuple of *index entries* (the op's `index`
attribute); traced integer indices are operands after the array (and after the value, for
setitem):
  ("int", k)            a static integer, already wrapped and bounds-checked;
  ("dynamic", j)        the j-th traced integer operand (wrapped and bounds-checked at run time);
  ("slice", a, b, s)    a static slice, with NumPy's `slice.indices` already applied;
  ("full", )            `:` over a symbolic dimension;
  ("symslice", a, b, s) any other static slice of a symbolic dimension, as written (ints or
                        None); the result's length is a `DimExpr` (`types.slice_dims`);
  ("newaxis", )         `None`.
"""

from __future__ import annotations

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value, implements
from .registry import SHAPE, OpDef, register


def _out_of_bounds(index: int, axis: int, size) -> IndexError:
    return IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")


def normalize_index(index, shape) -> tuple[tuple, list]:
    """`(entries, traced)`: the index as entries (see the module docstring) and the traced
    integer indices, for an array of `shape`.

    Raises:
      IndexError: NumPy's messages: too many indices, a static index out of bounds, a float or
        other non-integer index.
      NotImplementedError: advanced (integer-array or boolean) indexing.
    """
    items = index if isinstance(index, tuple) else (index,)
    n_ellipsis = sum(1 for it in items if it is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                         f"but {consumed} were indexed")
    expanded = []
    for it in items:
        if it is Ellipsis:
            expanded.extend([slice(None)] * (len(shape) - consumed))
        else:
            expanded.append(it)
    expanded.extend([slice(None)] * (len(shape) - sum(1 for it in expanded if it is not None)))

    entries, traced, axis = [], [], 0
    for it in expanded:
        if it is None:
            entries.append(("newaxis",))
            continue
        size = shape[axis]
        if isinstance(it, Tensor):
            if it.ndim != 0 or it.dtype.kind not in "iub":
                if it.dtype.kind in "ib" and it.ndim:
                    raise NotImplementedError("flowjit does not support indexing with an array "
                                              "(advanced indexing) yet; use np.where instead.")
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), "
                                 "numpy.newaxis (`None`) and integer or boolean arrays are "
                                 "valid indices")
            entries.append(("dynamic", len(traced)))
            traced.append(it)
        elif isinstance(it, slice):
            if isinstance(size, int):
                for part in (it.start, it.stop, it.step):
                    if isinstance(part, Tensor):
                        raise NotImplementedError(
                            "flowjit needs slice bounds known at trace time (the result's "
                            "shape depends on them); index with a traced integer instead.")
                entries.append(("slice",) + it.indices(size))
            elif it == slice(None):
                entries.append(("full",))
            else:
                parts = []
                for part in (it.start, it.stop, it.step):
                    if isinstance(part, Tensor):
                        raise NotImplementedError(
                            f"flowjit needs the bounds of a slice of axis {axis} (symbolic "
                            f"length {size}) known at trace time; index with a traced "
                            f"integer instead.")
                    if part is not None and (isinstance(part, (bool, np.bool_)) or
                                             not isinstance(part, (int, np.integer))):
                        raise TypeError("slice indices must be integers or None or have an "
                                        "__index__ method")
                    parts.append(None if part is None else int(part))
                if parts[2] == 0:
                    raise ValueError("slice step cannot be zero")
                entries.append(("symslice",) + tuple(parts))
        elif isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_)):
            k = int(it)
            if isinstance(size, int):
                if not -size <= k < size:
                    raise _out_of_bounds(k, axis, size)
                entries.append(("int", k % size))
            else:
                entries.append(("dynamic", len(traced)))
                traced.append(k)
        elif isinstance(it, (np.ndarray, list, bool, np.bool_)):
            raise NotImplementedError("flowjit does not support indexing with an array or a "
                                      "bool (advanced indexing) yet; use np.where instead.")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                             "(`None`) and integer or boolean arrays are valid indices")
        axis += 1
    return tuple(entries), traced


def indexed_shape(entries, shape) -> tuple:
    """The shape of `x[index]` for normalized `entries`."""
    out, axis = [], 0
    for entry in entries:
        kind = entry[0]
        if kind == "newaxis":
            out.append(1)
            continue
        if kind == "slice":
            out.append(len(range(*entry[1:])))
        elif kind == "symslice":
            out.append(T.slice_dims(shape[axis], *entry[1:])[1])
        elif kind == "full":
            out.append(shape[axis])
        axis += 1
    return tuple(out)


def _as_slice(start: int, stop: int, step: int) -> slice:
    # `slice.indices` gives stop == -1 for a negative step that runs through index 0; as a
    # slice bound -1 would mean "the last element", so it becomes None (through the start).
    return slice(start, None if stop < 0 else stop, step)


def numpy_index(entries, traced_values) -> tuple:
    """The NumPy index tuple equivalent to `entries` (for the reference implementations)."""
    out = []
    for entry in entries:
        kind = entry[0]
        out.append({"int": lambda: entry[1], "dynamic": lambda: int(traced_values[entry[1]]),
                    "slice": lambda: _as_slice(*entry[1:]), "full": lambda: slice(None),
                    "symslice": lambda: slice(*entry[1:]),
                    "newaxis": lambda: None}[kind]())
    return tuple(out)


def _getitem_infer(types, attrs):
    x = types[0]
    return (T.TensorType(x.dtype, indexed_shape(attrs["index"], x.shape)),)


def _getitem_reference(x, *indices, index):
    return np.asarray(x)[numpy_index(index, indices)].copy()


def _setitem_infer(types, attrs):
    x, v = types[0], types[1]
    target = indexed_shape(attrs["index"], x.shape)
    T.broadcast_shapes(target, v.shape)  # raises NumPy's error if v does not fit
    if T.broadcast_shapes(target, v.shape) != tuple(target):
        raise ValueError(f"could not broadcast input array from shape {v.shape} into shape "
                         f"{target}")
    return (x,)


def _setitem_reference(x, v, *indices, index):
    out = np.array(x, copy=True)
    out[numpy_index(index, indices)] = v
    return out


register(OpDef("getitem", _getitem_infer, _getitem_reference, SHAPE,
               doc="x[i, j:k, None, ...] basic indexing, static or traced integer indices"))
register(OpDef("setitem", _setitem_infer, _setitem_reference, SHAPE,
               doc="x[i, j:k] = v (a functional update; codegen performs it in place)"))


def _check_int_indices(traced):
    return [t if isinstance(t, Tensor) and t.dtype.kind in "iu"
            else (apply("astype", t, dtype=T.INT64) if isinstance(t, Tensor) else t)
            for t in traced]


def getitem(x: Tensor, index) -> Tensor:
    """`x[index]` for basic indices; see the module docstring."""
    items = index if isinstance(index, tuple) else (index,)
    if any(_is_index_array(it) for it in items):
        return gather(x, index)
    entries, traced = normalize_index(index, x.type.shape)
    return apply("getitem", x, *_check_int_indices(traced), index=entries)


def setitem(x: Tensor, index, value) -> Tensor:
    """The array `x` with `x[index] = value` applied (NumPy casts `value` to x's dtype)."""
    entries, traced = normalize_index(index, x.type.shape)
    v = as_value(value, "assigned value")
    if v.type.dtype != x.dtype:
        value = apply("astype", value if isinstance(value, Tensor) else Tensor(v), dtype=x.dtype)
    return apply("setitem", x, value, *_check_int_indices(traced), index=entries)


# -- integer-array indexing (gather), issue 4 ------------------------------------------------------
# `x[idx]` with an integer array (traced, or an array/list known at trace time) is a `take`
# along one axis: result shape `x.shape[:axis] + idx.shape + x.shape[axis+1:]`, each index
# wrapped once if negative and bounds-checked (IndexError with NumPy's message). Mixed indices
# (`x[1:3, idx, 0]`) are basic indexing first, then `take` on the resulting axis, then NumPy's
# rule for where the index's axes go (first, if the advanced indices are not adjacent).

def _take_infer(types, attrs):
    x, idx = types
    axis = attrs["axis"]
    if idx.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if x.ndim == 0:
        raise IndexError("too many indices for array: array is 0-dimensional, but 1 were "
                         "indexed")
    if attrs.get("mode") == "index" and x.shape[axis] == 0 and idx.is_static and idx.size:
        raise IndexError(f"index 0 is out of bounds for axis {axis} with size 0")
    return (T.TensorType(x.dtype, tuple(x.shape[:axis]) + tuple(idx.shape) +
                         tuple(x.shape[axis + 1:])),)


def _take_reference(x, idx, axis, mode):
    if mode == "take":  # np.take: indices are only checked when there is something to gather
        return np.take(x, idx, axis=axis)
    return np.asarray(x)[(slice(None),) * axis + (np.asarray(idx),)].copy()


register(OpDef("take", _take_infer, _take_reference, SHAPE,
               doc="x[..., idx, ...] / numpy.take: gather along one axis with an integer "
                   "array (negative indices wrap; out of bounds raises IndexError; attr "
                   "mode='index' checks every index, mode='take' only when the result is "
                   "non-empty, as NumPy)"))


def _is_index_array(it) -> bool:
    if isinstance(it, Tensor):
        return it.ndim > 0
    return isinstance(it, (list, np.ndarray)) and not (isinstance(it, np.ndarray) and
                                                       it.ndim == 0)


def _index_operand(it, axis: int, size):
    """The index array as a traced or constant int array; bool arrays are refused."""
    if isinstance(it, Tensor):
        if it.dtype == T.BOOL:
            raise NotImplementedError("flowjit does not support boolean-mask indexing (the "
                                      "result's shape depends on the data); use "
                                      "np.where(mask, x, 0) instead.")
        if it.dtype.kind not in "iu":
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
        return it
    arr = np.asarray(it) if not (isinstance(it, list) and len(it) == 0) else \
        np.zeros(0, np.intp)
    if arr.dtype == np.bool_:
        raise NotImplementedError("flowjit does not support boolean-mask indexing (the "
                                  "result's shape depends on the data); use np.where(mask, x, "
                                  "0) instead.")
    if arr.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    arr = arr.astype(np.int64)
    if isinstance(size, int) and arr.size:
        bad = arr[(arr < -size) | (arr >= size)]
        if bad.size:
            raise _out_of_bounds(int(bad.flat[0]), axis, size)
    from ..tracing import constant
    return constant(arr)


def _expand_ellipsis(items, ndim):
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    out = []
    for it in items:
        if it is Ellipsis:
            out.extend([slice(None)] * max(ndim - consumed, 0))
        else:
            out.append(it)
    return out


def _is_scalar_int(it) -> bool:
    if isinstance(it, Tensor):
        return it.ndim == 0
    return isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_))


def gather(x: Tensor, index) -> Tensor:
    """`x[index]` where `index` holds one integer array (see above)."""
    from .shape import moveaxis
    items = index if isinstance(index, tuple) else (index,)
    if sum(1 for it in items if it is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    items = _expand_ellipsis(items, x.ndim)
    arrays = [i for i, it in enumerate(items) if _is_index_array(it)]
    if len(arrays) > 1:
        raise NotImplementedError("flowjit supports one integer-array index per indexing "
                                  "expression; index twice, e.g. x[i][:, j].")
    k = arrays[0]
    consumed = sum(1 for it in items if it is not None)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, but "
                         f"{consumed} were indexed")
    in_axis = sum(1 for it in items[:k] if it is not None)
    idx = _index_operand(items[k], in_axis, x.type.shape[in_axis])
    basic = tuple(items[:k]) + (slice(None),) + tuple(items[k + 1:])
    y = getitem(x, basic)
    out_axis = sum(1 for it in items[:k] if not _is_scalar_int(it))
    result = apply("take", y, idx, axis=out_axis, mode="index")
    advanced = [i for i, it in enumerate(items) if i == k or _is_scalar_int(it)]
    if advanced != list(range(advanced[0], advanced[-1] + 1)) and out_axis:
        # Advanced indices separated by a slice or None: NumPy puts the index's axes first.
        result = moveaxis(result, list(range(out_axis, out_axis + idx.ndim)),
                          list(range(idx.ndim)))
    return result


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    from .elementwise import write_out
    from .shape import ravel
    if mode != "raise":
        raise NotImplementedError(f"flowjit supports numpy.take with mode='raise' only")
    x = a if isinstance(a, Tensor) else Tensor(as_value(a))
    if axis is None:
        x = ravel(x) if x.ndim != 1 else x
        axis = 0
    from .shape import normalize_axis_index
    axis = normalize_axis_index(axis, x.ndim)
    if isinstance(indices, Tensor) and indices.ndim == 0 or _is_scalar_int(indices):
        return write_out(apply("take", x, indices, axis=axis, mode="take"), out, "take")
    idx = _index_operand(indices, axis, x.type.shape[axis])
    return write_out(apply("take", x, idx, axis=axis, mode="take"), out, "take")


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """`np.diff`: `a[1:] - a[:-1]` along `axis`, `n` times (`!=` for bool, as NumPy); works on
    symbolic axes too (the result's length is a dimension expression such as `n-1`)."""
    import operator as _operator
    from .shape import broadcast_to_shape, concatenate, normalize_axis_index
    x = a if isinstance(a, Tensor) else Tensor(as_value(a))
    if n == 0:
        return x
    n = _operator.index(n)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if x.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis_index(axis, x.ndim)
    parts = []
    for extra, where in ((prepend, "prepend"), (None, None), (append, "append")):
        if where is None:
            parts.append(x)
        elif extra is not np._NoValue:
            e = extra if isinstance(extra, Tensor) else Tensor(as_value(extra))
            if e.ndim == 0:
                shape = x.type.shape[:axis] + (1,) + x.type.shape[axis + 1:]
                e = broadcast_to_shape(e, shape, (x,))
            parts.append(e)
    if len(parts) > 1:
        x = concatenate(parts, axis=axis)
    lo = (slice(None),) * axis + (slice(1, None),)
    hi = (slice(None),) * axis + (slice(None, -1),)
    op = "not_equal" if x.dtype == T.BOOL else "subtract"
    for _ in range(n):
        x = apply(op, getitem(x, lo), getitem(x, hi))
    return x
