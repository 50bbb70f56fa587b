"""Basic indexing: `x[i, 1:3, None, ...]` (getitem) and `x[i] = v` (setitem), with static or
traced integer indices, as NumPy's basic indexing defines them.

The index is normalized at trace time into a tuple of *index entries* (the op's `index`
attribute); traced integer indices are operands after the array (and after the value, for
setitem):
  ("int", k)            a static integer, already wrapped and bounds-checked;
  ("dynamic", j)        the j-th traced integer operand (wrapped and bounds-checked at run time);
  ("slice", a, b, s)    a static slice, with NumPy's `slice.indices` already applied;
  ("full", )            `:` over a symbolic dimension;
  ("newaxis", )         `None`.
"""

from __future__ import annotations

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value
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
                raise NotImplementedError(f"slicing axis {axis} of symbolic length {size} "
                                          f"with {it} is not supported; use `:`.")
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
        elif kind == "full":
            out.append(shape[axis])
        axis += 1
    return tuple(out)


def numpy_index(entries, traced_values) -> tuple:
    """The NumPy index tuple equivalent to `entries` (for the reference implementations)."""
    out = []
    for entry in entries:
        kind = entry[0]
        out.append({"int": lambda: entry[1], "dynamic": lambda: int(traced_values[entry[1]]),
                    "slice": lambda: slice(*entry[1:]), "full": lambda: slice(None),
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
    entries, traced = normalize_index(index, x.shape)
    return apply("getitem", x, *_check_int_indices(traced), index=entries)


def setitem(x: Tensor, index, value) -> Tensor:
    """The array `x` with `x[index] = value` applied (NumPy casts `value` to x's dtype)."""
    entries, traced = normalize_index(index, x.shape)
    v = as_value(value, "assigned value")
    if v.type.dtype != x.dtype:
        value = apply("astype", value if isinstance(value, Tensor) else Tensor(v), dtype=x.dtype)
    return apply("setitem", x, value, *_check_int_indices(traced), index=entries)
