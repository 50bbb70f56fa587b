"""Growable lists (TensorFlow's TensorList): `list_new`, `list_append`, `list_length`,
`list_stack`.

A Python list appended to inside a staged loop whose trip count is only known at run time
(a `while` on a traced condition, a loop with `break`/`return`, appends under a traced `if`)
becomes a value of `ListType(element)` (autograph/operators/lists.py). In the IR a list is
functional: `list_append(l, v)` returns the new list, so lists are carried by `while_loop` and
returned by `cond` like any value. Codegen updates the list in place
(codegen/lowering/lists.py), which is sound because lists are used linearly: once appended
to, a list value is never read again (AutoGraph rebinds the variable to the result). To keep
that order, `list_new` and `list_append` have effects (never merged, moved or removed).

`list_stack(l, n)` is `np.stack` of the elements; its leading dimension is a `DynamicDim`
bound to the operand `n` (`list_length(l)`), as `arange` binds its length.

The interpreter (and constant folding) represent a list value as a `ListValue`: an immutable
tuple of NumPy arrays. It is deliberately not a sequence, so NumPy keeps it as one object.
"""

from __future__ import annotations

import numpy as np

from .. import types as T
from ..tracing import Tensor, apply, as_value
from .registry import OpDef, register

#: The op kind of the list ops (no pass dispatches on it).
LIST = "list"


class ListValue:
    """A list value in the reference interpreter: `items` (a tuple of arrays of type
    `element`)."""

    __slots__ = ("items", "element")

    def __init__(self, items, element: T.TensorType):
        self.items = tuple(items)
        self.element = element

    def __repr__(self) -> str:
        return f"ListValue({len(self.items)} x {self.element})"


def _element_of(t, what: str) -> T.TensorType:
    if not isinstance(t, T.ListType):
        raise TypeError(f"{what} expects a list, got {t}")
    return t.element


# -- list_new --------------------------------------------------------------------------------

def _new_infer(types, attrs):
    element = attrs["element"]
    if types or not isinstance(element, T.TensorType) or element.weak:
        raise TypeError("list_new takes no operands and a strong TensorType `element`")
    T.check_dtype(element.dtype, "a list element")
    if not element.is_static:
        raise TypeError("list elements must have a static shape")
    return (T.ListType(element),)


def _new_reference(*, element):
    return ListValue((), element)


register(OpDef("list_new", _new_infer, _new_reference, LIST, effects=True,
               doc="an empty growable list of arrays of type `element` (TensorFlow's "
                   "TensorList), for lists appended to in loops with a run-time trip count"))


# -- list_append -----------------------------------------------------------------------------

def _append_infer(types, attrs):
    if len(types) != 2:
        raise TypeError("list_append takes a list and an element")
    element = _element_of(types[0], "list_append")
    v = types[1]
    if not isinstance(v, T.TensorType) or v.dtype != element.dtype or \
            tuple(v.shape) != tuple(element.shape):
        raise TypeError(f"list_append: element {v} does not match the list's {element}")
    return (types[0],)


def _append_reference(lst, value):
    return ListValue(lst.items + (np.array(value, dtype=lst.element.dtype),), lst.element)


register(OpDef("list_append", _append_infer, _append_reference, LIST, effects=True,
               doc="list.append(v) on a growable list: returns the list with `v` appended "
                   "(the operand list is not read again)"))


# -- list_length -----------------------------------------------------------------------------

def _length_infer(types, attrs):
    if len(types) != 1:
        raise TypeError("list_length takes one list")
    _element_of(types[0], "list_length")
    return (T.scalar(T.INT64),)


def _length_reference(lst):
    return np.int64(len(lst.items))


register(OpDef("list_length", _length_infer, _length_reference, LIST,
               doc="len(list) of a growable list (int64)"))


# -- list_stack ------------------------------------------------------------------------------

def _stack_infer(types, attrs):
    if len(types) != 2:
        raise TypeError("list_stack takes a list and its length")
    element = _element_of(types[0], "list_stack")
    n = types[1]
    if not isinstance(n, T.TensorType) or n.dtype != T.INT64 or n.ndim:
        raise TypeError(f"list_stack: the length must be int64[], got {n}")
    shape = tuple(attrs["shape"])
    if len(shape) != element.ndim + 1 or shape[1:] != tuple(element.shape) or \
            not isinstance(shape[0], T.DynamicDim):
        raise TypeError(f"list_stack: shape {shape} is not (n, *{tuple(element.shape)})")
    return (T.TensorType(element.dtype, shape),)


def _stack_reference(lst, length, *, shape):
    if int(length) != len(lst.items):
        raise ValueError(f"list_stack: length {int(length)} != {len(lst.items)} elements")
    if not lst.items:
        return np.zeros((0,) + tuple(lst.element.shape), lst.element.dtype)
    return np.stack(lst.items).astype(lst.element.dtype, copy=False)


register(OpDef("list_stack", _stack_infer, _stack_reference, LIST,
               doc="np.stack(list) of a growable list: shape (n, *element shape), n the "
                   "`length` operand (a run-time dimension)"))


# -- tracing helpers (used by autograph/operators/lists.py) ---------------------------------

def element_type(value) -> T.TensorType:
    """The (strong) element type a list holding `value` has: a traced value's dtype and
    shape, a NumPy value's, or a Python scalar's default dtype (bool, int64, float64)."""
    if isinstance(value, Tensor):
        t = value.type
    else:
        t = as_value(value).type
    return T.TensorType(t.dtype, tuple(t.shape))


def new(element: T.TensorType) -> Tensor:
    """An empty list value of elements of type `element`."""
    return apply("list_new", element=T.TensorType(element.dtype, tuple(element.shape)))


def append(lst: Tensor, value) -> Tensor:
    """`lst` with `value` appended (a new list value); `value` must have the element type
    (a weak Python scalar becomes the element dtype it already has)."""
    element = lst.type.element
    v = value if isinstance(value, Tensor) else Tensor(as_value(value))
    if v.type.weak:
        v = apply("astype", v, dtype=element.dtype)
    return apply("list_append", lst, v)


def length(lst: Tensor) -> Tensor:
    """`len(lst)` as a traced int64."""
    return apply("list_length", lst)


def stack(lst: Tensor) -> Tensor:
    """`np.stack(lst)`: an array whose first dimension is a run-time length."""
    n = length(lst)
    d = T.new_dynamic_dim(n.value)
    return apply("list_stack", lst, n, shape=(d,) + tuple(lst.type.element.shape))
