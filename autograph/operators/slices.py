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
    target[key] = value
    return target
