"""`a[key] = value` and `a[key] op= value` from converted code (`ag__.set_item`).

Python's own `__setitem__`, except that a NumPy array receiving a traced value or indexed by a
traced key first becomes a traced array (NumPy cannot hold a traced value). Returns the
updated container, the same object whenever Python's statement would have kept it.
"""

import operator

import numpy as np

from . import tensors

_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
            "**=": operator.ipow, "@=": operator.imatmul, "&=": operator.iand,
            "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift,
            ">>=": operator.irshift}


def _key_leaves(key):
    if isinstance(key, tuple):
        for k in key:
            yield from _key_leaves(k)
    elif isinstance(key, slice):
        yield from (key.start, key.stop, key.step)
    else:
        yield key


def set_item(target, key, value, op=None):
    """`target[key] = value` (or `target[key] op= value`); returns the updated target."""
    if isinstance(target, np.ndarray) and (
            tensors.any_tensor(_key_leaves(key)) or tensors.any_tensor((value,))):
        ir = tensors.ir()
        target = ir.tracing.Tensor(ir.tracing.as_value(target))
    if op is not None:
        value = _INPLACE[op](target[key], value)
    if tensors.is_tensor(target) and _traced_unit_slice(key) and \
            isinstance(target.shape[0], int) and np.ndim(value) < target.ndim:
        _masked_slice_update(target, key, value)
        return target
    target[key] = value
    return target


def _traced_unit_slice(key):
    return (isinstance(key, slice) and key.step in (None, 1)
            and tensors.any_tensor((key.start, key.stop)))


def _clamp(bound, n, default):
    """CPython's slice bound normalization for step 1: negative counts from the end, then
    clamped to [0, n]."""
    if bound is None:
        return default
    bound = np.where(bound < 0, bound + n, bound)
    return np.minimum(np.maximum(bound, 0), n)


def _masked_slice_update(target, key, value):
    """`target[k:m] = value` with traced `k`/`m`: the selected rows are only known at run
    time, so the update is a `where` over a row mask (same result, same in-place rebinding);
    `value` must broadcast to one row, as NumPy would need for every possible k, m."""
    n = target.shape[0]
    start, stop = _clamp(key.start, n, 0), _clamp(key.stop, n, n)
    rows = np.arange(n)
    mask = np.logical_and(rows >= start, rows < stop)
    mask = np.reshape(mask, (n,) + (1,) * (target.ndim - 1))
    target[...] = np.where(mask, value, target).astype(target.dtype)
