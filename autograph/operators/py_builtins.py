"""Builtins whose arguments may be traced: `range`, `enumerate`, `zip`, `len`, `min`, `max`.

With plain Python arguments each is the builtin itself. With traced arguments they return
lazy objects that `for_stmt` turns into a staged loop (`StagedRange`, `StagedSequence`), or
graph values.
"""

import builtins

import numpy as np

from . import tensors
from ...errors import StagingError


class StagedRange:
    """`range(start, stop, step)` with a traced bound: iterated only by a staged `for`."""

    def __init__(self, start, stop, step):
        self.start, self.stop, self.step = start, stop, step

    def __iter__(self):
        raise StagingError("a range() with traced bounds can only be iterated by a `for` "
                           "loop in a converted function")

    def __repr__(self):
        return f"range({self.start}, {self.stop}, {self.step})"


class StagedSequence:
    """Something a staged `for` iterates by index: a traced array's first axis, or an
    `enumerate`/`zip` involving one. `length()` may be traced; `item(i)` takes a traced `i`."""

    def __init__(self, length, item):
        self._length = length
        self.item = item

    def length(self):
        return self._length()

    def __iter__(self):
        raise StagingError("iterating over traced arrays is only supported by a `for` loop "
                           "in a converted function")

    @classmethod
    def of(cls, x):
        """The sequence of a traced array's rows, or of a StagedRange's values."""
        if isinstance(x, StagedSequence):
            return x
        if isinstance(x, StagedRange):
            start, stop, step = x.start, x.stop, x.step
            return cls(lambda: _range_length(start, stop, step), lambda i: start + i * step)
        if tensors.is_tensor(x):
            if x.ndim == 0:
                raise TypeError("iteration over a 0-d array")
            from flowjit.ir.ops.shape import dimension
            return cls(lambda: dimension(x, 0), lambda i: x[i])
        if isinstance(x, (range, np.ndarray, list, tuple)):
            seq = x
            return cls(lambda: len(seq), lambda i: np.asarray(seq)[i]
                       if isinstance(seq, (list, tuple)) else seq[i])
        raise StagingError(f"cannot iterate over a {type(x).__name__} together with traced "
                           f"values in a staged loop")


def _range_length(start, stop, step):
    """`len(range(start, stop, step))` for possibly traced operands (CPython's formula)."""
    if not tensors.any_tensor((start, stop, step)):
        return len(range(start, stop, step))
    if tensors.is_tensor(step):
        n = np.where(step > 0, (stop - start + step - 1) // step, (stop - start + step + 1) // step)
    elif step > 0:
        n = (stop - start + step - 1) // step
    else:
        n = (stop - start + step + 1) // step
    return np.maximum(n, 0)


def range_(*args):
    """`range(...)`; a StagedRange if a bound is traced."""
    if not tensors.any_tensor(args):
        return builtins.range(*args)
    if len(args) == 1:
        start, stop, step = 0, args[0], 1
    elif len(args) == 2:
        start, stop, step = args[0], args[1], 1
    else:
        start, stop, step = args
    return StagedRange(start, stop, step)


def _staged(x):
    return tensors.is_tensor(x) or isinstance(x, (StagedRange, StagedSequence))


def enumerate_(iterable, start=0):
    """`enumerate(...)`; a StagedSequence over a traced array."""
    if not _staged(iterable):
        return builtins.enumerate(iterable, start)
    seq = StagedSequence.of(iterable)
    return StagedSequence(seq.length, lambda i: (start + i, seq.item(i)))


def zip_(*iterables, strict=False):
    """`zip(...)`; a StagedSequence if any argument is a traced array."""
    if not any(_staged(x) for x in iterables):
        return builtins.zip(*iterables, strict=strict)
    seqs = [StagedSequence.of(x) for x in iterables]

    def length():
        lengths = [s.length() for s in seqs]
        n = lengths[0]
        for m in lengths[1:]:
            n = np.minimum(n, m) if tensors.any_tensor((n, m)) else builtins.min(n, m)
        return n

    return StagedSequence(length, lambda i: tuple(s.item(i) for s in seqs))


def _minmax(builtin, pick):
    def overload(*args, **kwargs):
        # Python's `max(a, b)` is `b if b > a else a` (so NaN handling depends on the order,
        # SEMANTICS.md trap 8); keep exactly that on traced scalars.
        if len(args) >= 2 and not kwargs and tensors.any_tensor(args):
            result = args[0]
            for x in args[1:]:
                result = np.where(pick(x, result), x, result)
            return result
        return builtin(*args, **kwargs)

    overload.__name__ = builtin.__name__ + "_"
    return overload


max_ = _minmax(builtins.max, lambda x, best: x > best)
min_ = _minmax(builtins.min, lambda x, best: x < best)


def len_(x):
    """`len(x)`: static for a traced array with a known first dimension."""
    return len(x)


#: builtin -> overload used by converted_call.
BUILTINS = {
    builtins.range: range_,
    builtins.enumerate: enumerate_,
    builtins.zip: zip_,
    builtins.max: max_,
    builtins.min: min_,
    builtins.len: len_,
}
