"""The `print` op at run time: rebuild each operand as its eager NumPy/Python value and print it.

Compiled code does not format text: C's `printf` cannot reproduce NumPy's `repr` (SEMANTICS.md,
trap 15). Native code hands the runtime a data pointer and a shape pointer per operand; this
module rebuilds what the value is eagerly (a NumPy scalar for a strong 0-d value, a Python scalar
for a weak one, an array otherwise), puts it into the op's template and calls Python's `print`.
"""

from __future__ import annotations

import ctypes
from typing import Any, Sequence

import numpy as np

from ..ir.types import TensorType


def rebuild(t: TensorType, data: int | None, shape: Sequence[int]):
    """The eager value of a C-contiguous buffer of type `t` at address `data` (copied).

    Args:
      t: the operand's type (dtype and weakness; its shape may be symbolic).
      data: the buffer's address (may be 0/None for an empty array).
      shape: the actual shape.
    Returns:
      a Python scalar (weak 0-d), a NumPy scalar (strong 0-d) or a new `np.ndarray`.
    """
    shape = tuple(int(n) for n in shape)
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * t.dtype.itemsize
    raw = ctypes.string_at(data, nbytes) if nbytes else b""
    arr = np.frombuffer(raw, dtype=t.dtype, count=count).reshape(shape).copy()
    if shape == ():
        return arr.item() if t.weak else arr[()]
    return arr


def _fields(site) -> tuple[Any, str, str, Sequence[TensorType]]:
    # A print site is the `print` op's attrs plus operand types (ARCHITECTURE.md); accept an
    # object with attributes or a mapping, so either representation from codegen works.
    get = site.get if isinstance(site, dict) else (lambda k, d=None: getattr(site, k, d))
    types = get("types") or get("operand_types") or ()
    return get("template"), get("sep", " "), get("end", "\n"), types


def read_values(types: Sequence[TensorType], slots: int) -> list:
    """The values of a `print` op's operands from the `slots` array (`ptr[2*n]`: data pointer,
    then pointer to an `i64[ndim]` shape, per operand)."""
    n = len(types)
    if n == 0:
        return []
    ptrs = (ctypes.c_void_p * (2 * n)).from_address(slots)
    values = []
    for k, t in enumerate(types):
        ndim = len(t.shape)
        shape = tuple((ctypes.c_int64 * ndim).from_address(ptrs[2 * k + 1])) if ndim else ()
        values.append(rebuild(t, ptrs[2 * k], shape))
    return values


def format_args(template, values):
    """The positional arguments of `print`: the template with its slots filled."""
    from ..ir.ops.effects import fill_template
    return fill_template(template, values)


def print_site(site, slots: int) -> None:
    """Run one `print` op: called (through `fj_print`) by native code at every execution."""
    template, sep, end, types = _fields(site)
    values = read_values(types, slots)
    print(*format_args(template, values), sep=sep, end=end)
