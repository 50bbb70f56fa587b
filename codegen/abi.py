"""The native entry point's calling convention: signature, status codes, error record.

Every compiled graph is one function

    i32 @<entry_name>(ptr noalias %args, ptr noalias %err)

* `%args` is an array of `void*`: one data pointer per graph input (C-contiguous; a 0-d input
  points at its one element; bool is one byte per element), then one per graph output (buffers
  of the output's size, allocated by the caller), then one pointer to an `i64` array holding
  the value of each symbolic dimension, in the order of `CompiledGraph.dims` (present even when
  there are no symbolic dimensions; it may then be null).
* The function returns `STATUS_OK` (0) or one of the statuses below; on a failure it fills the
  `i64[4]` record at `%err` with the status's details (`ERR_FIELDS`). Native code never traps
  and never unwinds: the caller turns the status into the exception `exception_from_status`
  builds. Output buffers are unspecified after a failure.
* `print` calls back `void fj_print(i64 site, ptr slots)`: `slots` is `ptr[2*n]`, a data
  pointer and a pointer to an `i64[ndim]` shape array per operand of print site `site`
  (`CompiledGraph.print_sites[site]`). Site ids are numbered from 0 in each compiled graph,
  so the callback must know which graph is running (the runtime keeps the running call's
  `print_sites` in thread-local state). 0-d operands are passed through a stack slot; bool
  data is one byte per element.
* Failure paths return at once: temporaries allocated before a failure are not freed (a
  bounded leak per failing call).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

#: Name of the runtime's print callback symbol (registered with `llvm.add_symbol`).
PRINT_SYMBOL = "fj_print"

#: Name of the runtime's output allocation callback: `ptr fj_alloc_output(i64 k, ptr shape)`
#: allocates graph output `k` (whose shape holds a `DynamicDim`, known only once native code
#: has computed it) with the `i64[ndim]` `shape`, and returns its data pointer, or NULL on
#: failure (the entry then returns `STATUS_CALLBACK_ERROR`; the runtime raises the exception
#: the callback kept). The `args` slot of such an output is unused.
ALLOC_OUTPUT_SYMBOL = "fj_alloc_output"

#: Number of i64 fields in the error record.
ERR_RECORD_SIZE = 4

STATUS_OK = 0
STATUS_INDEX_ERROR = 1
STATUS_ASSERTION = 2
STATUS_ZERO_DIVISION = 3
STATUS_OVERFLOW = 4
STATUS_VALUE_ERROR = 5
STATUS_MEMORY_ERROR = 6
STATUS_CALLBACK_ERROR = 7

#: What the fields of the error record mean, per status.
ERR_FIELDS = {
    STATUS_INDEX_ERROR: ("index", "axis", "size"),
    STATUS_ASSERTION: ("assert_id",),
    STATUS_ZERO_DIVISION: ("message_id",),
    STATUS_OVERFLOW: ("message_id",),
    STATUS_VALUE_ERROR: ("message_id",),
    STATUS_MEMORY_ERROR: ("nbytes",),
    STATUS_CALLBACK_ERROR: ("output_index",),
}


def _python_message(fn: Callable[[], object]) -> str:
    # Ask the running Python for its exact wording (it changes between versions, e.g.
    # "float modulo" became "float modulo by zero").
    try:
        fn()
    except ArithmeticError as e:
        return str(e)
    raise AssertionError("expected an ArithmeticError")


_ZERO = 0
_FZERO = 0.0

#: ZeroDivisionError messages (Python-scalar arithmetic), by `message_id`.
ZERO_DIVISION_MESSAGES: tuple[str, ...] = (
    _python_message(lambda: 1 // _ZERO),          # 0: int floor_divide
    _python_message(lambda: 1 % _ZERO),           # 1: int remainder
    _python_message(lambda: 1 / _ZERO),           # 2: int/float true_divide
    _python_message(lambda: 1.0 // _FZERO),       # 3: float floor_divide
    _python_message(lambda: 1.0 % _FZERO),        # 4: float remainder
    _python_message(lambda: 1.0 / _FZERO),        # 5: float true_divide
    _python_message(lambda: _FZERO ** -1),        # 6: float power
)
ZD_INT_FLOOR_DIVIDE, ZD_INT_REMAINDER, ZD_INT_TRUE_DIVIDE = 0, 1, 2
ZD_FLOAT_FLOOR_DIVIDE, ZD_FLOAT_REMAINDER, ZD_FLOAT_TRUE_DIVIDE, ZD_FLOAT_POWER = 3, 4, 5, 6

#: OverflowError messages, by `message_id`.
OVERFLOW_MESSAGES: tuple[str, ...] = (
    "Python int arithmetic overflowed int64 (a Python int would grow; flowjit computes Python "
    "ints in 64 bits)",
    "Python integer {0} out of bounds for int32",  # err[1] = the value (NumPy's wording)
)
OVERFLOW_PYTHON_INT_BOUNDS = 1

#: ValueError messages, by `message_id` (NumPy's wording).
VALUE_ERROR_MESSAGES: tuple[str, ...] = (
    "zero-size array to reduction operation maximum which has no identity",
    "zero-size array to reduction operation minimum which has no identity",
    "Integers to negative integer powers are not allowed.",
    "negative shift count",
    "attempt to get argmax of an empty sequence",
    "attempt to get argmin of an empty sequence",
)
VE_EMPTY_MAX, VE_EMPTY_MIN, VE_NEGATIVE_POWER, VE_NEGATIVE_SHIFT = 0, 1, 2, 3
VE_EMPTY_ARGMAX, VE_EMPTY_ARGMIN = 4, 5


def _index_error(err, assert_messages):
    index, axis, size = err[0], err[1], err[2]
    return IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")


def _assertion(err, assert_messages):
    message = assert_messages[err[0]]
    return AssertionError(message) if message is not None else AssertionError()


#: status -> (err record, assert messages) -> the exception eager Python/NumPy raises.
EXCEPTIONS: dict[int, Callable[[Sequence[int], Sequence[str | None]], BaseException]] = {
    STATUS_INDEX_ERROR: _index_error,
    STATUS_ASSERTION: _assertion,
    STATUS_ZERO_DIVISION: lambda err, _: ZeroDivisionError(ZERO_DIVISION_MESSAGES[err[0]]),
    STATUS_OVERFLOW: lambda err, _: OverflowError(OVERFLOW_MESSAGES[err[0]].format(*err[1:])),
    STATUS_VALUE_ERROR: lambda err, _: ValueError(VALUE_ERROR_MESSAGES[err[0]]),
    STATUS_MEMORY_ERROR: lambda err, _: MemoryError(
        f"flowjit could not allocate {err[0]} bytes for a temporary array"),
    # Normally the runtime raises the callback's own exception instead.
    STATUS_CALLBACK_ERROR: lambda err, _: MemoryError(
        f"flowjit could not allocate output {err[0]}"),
}


def exception_from_status(status: int, err: Sequence[int],
                          assert_messages: Sequence[str | None] = ()) -> BaseException:
    """The exception for a non-zero `status` returned by an entry point.

    Args:
      status: the entry point's return value (not `STATUS_OK`).
      err: the `i64[4]` error record as Python ints.
      assert_messages: `CompiledGraph.assert_messages`.
    """
    make = EXCEPTIONS.get(status)
    if make is None:
        from ..errors import InternalError
        return InternalError(f"compiled code returned unknown status {status}")
    return make([int(x) for x in err], assert_messages)


@dataclasses.dataclass(frozen=True)
class PrintSite:
    """What the runtime needs to print for one `print` op (`CompiledGraph.print_sites[k]`).

    Attributes:
      template: the op's `template` attribute (the print arguments with `Slot`s for operands;
        see `flowjit.ir.ops.effects.fill_template`).
      sep, end: `print`'s keyword arguments.
      types: the `TensorType` of each operand, in slot order; the runtime rebuilds each value
        from the `fj_print` slots (data pointer + shape) as a NumPy array of that dtype
        (0-d: a NumPy scalar, or a Python scalar when the type is weak).
    """

    template: object
    sep: str
    end: str
    types: tuple
