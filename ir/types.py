"""Value types of the IR: NumPy dtypes, static or symbolic shapes, and NEP 50 promotion."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Sequence, Union

import numpy as np

BOOL = np.dtype(np.bool_)
INT32 = np.dtype(np.int32)
INT64 = np.dtype(np.int64)
FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)

#: The dtypes compiled code computes with (API.md, "Arguments").
SUPPORTED_DTYPES = (BOOL, INT32, INT64, FLOAT32, FLOAT64)

#: The Python type a *weak* value of each dtype stands for (NEP 50: Python scalars are weak).
PYTHON_TYPE_OF_WEAK = {BOOL: bool, INT64: int, FLOAT64: float}


@dataclasses.dataclass(frozen=True)
class Dim:
    """A symbolic dimension: the length of an axis declared `None` in an `input_signature`.

    Its value is only known at run time; native code receives it in the ABI's dimension array.
    """

    name: str

    def __str__(self) -> str:
        return self.name


DimLike = Union[int, Dim]


def check_dtype(dtype, what: str = "value") -> np.dtype:
    """Return `dtype` as an `np.dtype` if flowjit compiles it, else raise `TypeError`.

    Args:
      dtype: anything `np.dtype()` accepts.
      what: the user-facing name of what has this dtype, for the message.
    """
    dt = np.dtype(dtype)
    if dt not in SUPPORTED_DTYPES:
        supported = ", ".join(d.name for d in SUPPORTED_DTYPES)
        raise TypeError(f"{what} has dtype {dt.name}, which flowjit does not compile; "
                        f"use one of {supported} (e.g. `.astype(np.float64)`).")
    return dt


@dataclasses.dataclass(frozen=True)
class TensorType:
    """The type of an IR value: dtype, shape and weakness.

    Attributes:
      dtype: one of `SUPPORTED_DTYPES`.
      shape: a tuple of non-negative ints or `Dim`s; `()` for a 0-d value.
      weak: True for a value that is a Python `bool`/`int`/`float` eagerly (a Python scalar
        argument, a literal, a `range` index). Weak values do not widen the dtype of the
        NumPy values they meet (NEP 50), and arithmetic between weak values follows Python.
    """

    dtype: np.dtype
    shape: tuple[DimLike, ...] = ()
    weak: bool = False

    def __post_init__(self):
        object.__setattr__(self, "dtype", np.dtype(self.dtype))
        object.__setattr__(self, "shape", tuple(self.shape))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_static(self) -> bool:
        """True when every dimension is a Python int."""
        return all(isinstance(d, int) for d in self.shape)

    @property
    def size(self) -> DimLike | None:
        """The element count if the shape is static, else None."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.is_static else None

    def with_(self, **changes) -> "TensorType":
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"{self.dtype.name}[{dims}]"


def scalar(dtype, weak: bool = False) -> TensorType:
    """The 0-d type of `dtype`."""
    return TensorType(np.dtype(dtype), (), weak)


def type_of_python_scalar(value) -> TensorType:
    """The weak 0-d type of a Python `bool`/`int`/`float` (NEP 50)."""
    for pytype, dtype in ((bool, BOOL), (int, INT64), (float, FLOAT64)):
        if isinstance(value, pytype):
            return TensorType(dtype, (), weak=True)
    raise TypeError(f"not a Python scalar: {value!r}")


def _ufunc_operand(t: TensorType):
    # NumPy's resolve_dtypes takes the Python types int/float for weak scalars; a Python bool
    # behaves like np.bool_ under NEP 50, so it is passed as the bool dtype.
    if t.weak and t.dtype in (INT64, FLOAT64):
        return PYTHON_TYPE_OF_WEAK[t.dtype]
    return t.dtype


def ufunc_loop_dtypes(ufunc: np.ufunc, types: Sequence[TensorType]) -> tuple[np.dtype, ...]:
    """The dtypes of the NumPy inner loop `ufunc` runs for operands of `types`.

    Returns `nin` input dtypes (what each operand is cast to) followed by `nout` output dtypes.
    This is NumPy's own type resolution (`np.ufunc.resolve_dtypes`), so promotion, NEP 50 weak
    scalars and errors (e.g. `TypeError` for boolean subtract) are exactly NumPy's.
    """
    operands = tuple(_ufunc_operand(t) for t in types) + (None,) * ufunc.nout
    return tuple(ufunc.resolve_dtypes(operands))


def broadcast_shapes(*shapes: Sequence[DimLike]) -> tuple[DimLike, ...]:
    """NumPy's broadcasting rule, extended to symbolic `Dim`s.

    A `Dim` broadcasts with 1 and with itself. Two different `Dim`s, or a `Dim` against an int
    other than 1, cannot be proven equal at trace time and raise `ValueError`.

    Raises:
      ValueError: with NumPy's wording, when the shapes do not broadcast.
    """
    out: list[DimLike] = []
    for dims in itertools.zip_longest(*(reversed(tuple(s)) for s in shapes), fillvalue=1):
        result: DimLike = 1
        for d in dims:
            if d == 1 or d == result:
                continue
            if result == 1:
                result = d
                continue
            shown = " ".join(str(tuple(s)) for s in shapes)
            raise ValueError("operands could not be broadcast together with shapes " + shown)
        out.append(result)
    return tuple(reversed(out))


def weak_result(types: Sequence[TensorType]) -> bool:
    """A result is weak only if every operand is (Python arithmetic on Python scalars)."""
    return bool(types) and all(t.weak for t in types)
