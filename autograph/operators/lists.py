"""Python lists appended to inside a staged loop: a preallocated buffer (TensorFlow's
TensorArray, built from existing ops).

`out = []; for ...: out.append(v)` followed by `np.stack(out)` / `np.array(out)`. When a `for`
loop with a trip count known at trace time is staged, each list it carries becomes a
`TensorList`: a `(buffer, size)` pair of traced values, the buffer preallocated with one row
per element the loop will append (trip count x appends per iteration, learnt from a dry run of
the body). `ag__.list_append` then writes row `size` (a `setitem`) and increments `size`.
After the loop the list is a `StagedList`: a Python list whose `np.stack`/`np.array` is the
buffer itself, and whose items are its rows.

When the trip count is traced (`for i in range(n)` with a traced `n`, `for row in x` over a
symbolic axis), the buffer's length is `trip count x appends per iteration` computed before the
loop: a symbolic dimension (`Dim`/`DimExpr` for `x.shape[i]`) or a `DynamicDim` bound to the
run-time count (the buffer is a `full` op sized by it, and a returned result is allocated by
the runtime through `fj_alloc_output`). After such a loop the list is a `DynamicStagedList`:
`np.stack`/`np.array` give the buffer (with the rows the list held before the loop in front),
`append` adds a row; reading items or `len` is reported (the length is a run-time value).

What cannot work is reported: a `while` loop, appends that depend on traced conditions or a
loop that can stop early (`break`/`return`: the list's length would depend on run-time values
the loop computes, which needs a growable buffer flowjit does not have yet).
"""

import collections

import numpy as np

from . import tensors
from ...errors import StagingError


class TensorList(collections.namedtuple("TensorList", ["buffer", "size"])):
    """A list being appended to inside a staged loop (a pytree node: the loop carries both)."""

    __slots__ = ()

    def __getitem__(self, i):
        raise StagingError("a list appended to inside a loop on traced values cannot be read "
                           "inside that loop; fix: keep the value you need in a variable.")


class StagedList(list):
    """The list after the loop: `len`, iteration and indexing see its rows; `np.stack` and
    `np.array` give the buffer without copying row by row."""

    def __init__(self, buffer, head=()):
        super().__init__(list(head) + [buffer[i] for i in range(buffer.shape[0])])
        self.buffer = buffer
        self.rows = tuple(self)

    def staged_buffer(self):
        """The buffer if the list still holds exactly its rows, else None."""
        if len(self) == len(self.rows) and all(a is b for a, b in zip(self, self.rows)):
            return self.buffer
        return None


class DynamicStagedList:
    """A list appended to in a staged loop whose trip count is known only at run time (see the
    module docstring): its rows are `buffer`, after the `head` values it held before the loop."""

    def __init__(self, buffer, head=()):
        self.buffer = buffer
        self.head = list(head)

    def staged_buffer(self):
        ir = tensors.ir()
        if not self.head:
            return self.buffer
        rows = [np.asarray(v)[None] if not tensors.is_tensor(v) else v[None] for v in self.head]
        dtype = self.buffer.dtype
        rows = [r.astype(dtype) if tensors.is_tensor(r) else
                ir.tracing.Tensor(ir.tracing.as_value(r.astype(dtype))) for r in rows]
        return np.concatenate(rows + [self.buffer])

    def append(self, value):
        row = value[None] if tensors.is_tensor(value) else np.asarray(value)[None]
        self.buffer = np.concatenate([self.staged_buffer(), row])
        self.head = []

    def _refuse(self, *args, **kwargs):
        raise StagingError(
            "this list was appended to in a loop whose number of iterations is known only at "
            "run time, so its length and items are run-time values; fix: turn it into an array "
            "with `np.stack(lst)` or `np.array(lst)` and use the array.")

    __len__ = __iter__ = __getitem__ = __setitem__ = __contains__ = _refuse
    extend = insert = pop = remove = index = count = sort = reverse = _refuse


def list_append(target, value):
    """`target.append(value)`; on a TensorList, writes the next row of its buffer."""
    if isinstance(target, DynamicStagedList):
        target.append(value)
        return target
    if isinstance(target, TensorList):
        buffer = target.buffer
        buffer[target.size] = value
        return TensorList(buffer, target.size + 1)
    if isinstance(target, StagedList):
        target.append(value)
        return target
    target.append(value)
    return target


def is_list_state(value):
    return type(value) is list


class Unroll(StagingError):
    """The loop is better unrolled (its lists hold Python values)."""


def stage_lists(state, names, trip_count, one_iteration, site, early_exit, may_unroll=False):
    """Replaces each Python list in `state` by a TensorList for a staged loop.

    Args:
      state: the loop's state (a tuple of values).
      names: the variables' names.
      trip_count: the loop's trip count (a Python int, or a traced value).
      one_iteration: `(state) -> state after one iteration`, run in a discarded region.
      early_exit: whether the loop can stop before its trip count (break/return).
      may_unroll: the loop may unroll instead (a Python range): raise Unroll rather than
        stage lists of Python values.

    Returns:
      `(new_state, finish)`: `finish(final_state)` turns the TensorLists back into lists.
    """
    positions = [i for i, v in enumerate(state) if is_list_state(v)]
    if not positions:
        return state, lambda final: final
    name = names[positions[0]]
    where = f"\n  loop:  {site.excerpt()}"
    if early_exit:
        raise StagingError(
            f"'{name}' is appended to in a loop on traced values that can stop early "
            f"(`break` or `return`), so the list's length would depend on run-time values."
            f"{where}\n  fix: preallocate the result (`{name} = np.zeros((n, ...))`), assign "
            f"`{name}[i] = v` in the loop, and keep the count in a variable.")
    probe = tuple(list(v) if i in positions else v for i, v in enumerate(state))
    after = one_iteration(probe)
    new_state, layouts = list(state), {}
    for i in positions:
        head, appended = list(state[i]), after[i]
        new = appended[len(head):] if isinstance(appended, list) else None
        if new is None:
            raise StagingError(f"'{names[i]}' stops being a list inside a loop on traced "
                               f"values.{where}\n  fix: keep `{names[i]}` a list.")
        if not new:
            continue  # Not appended to by this loop: a plain Python value, left as it is.
        if may_unroll and not all(tensors.is_tensor(v) and not v.type.weak for v in new):
            # Python values (or values of the loop index only): unrolling keeps them Python.
            raise Unroll()
        types = {_type_of(v) for v in new}
        if len(types) != 1:
            raise StagingError(
                f"the values appended to '{names[i]}' in one iteration differ in dtype or "
                f"shape ({', '.join(sorted(str(t) for t in types))}).{where}\n  fix: append "
                f"values of one dtype and shape (use `.astype(...)`).")
        dtype, shape = types.pop()
        if isinstance(trip_count, int):
            rows = trip_count * len(new)
            buffer = tensors.ir().tracing.Tensor(tensors.ir().tracing.as_value(
                np.zeros((rows,) + shape, dtype)))
        else:
            buffer = _run_time_buffer(trip_count, len(new), shape, dtype)
        new_state[i] = TensorList(buffer, np.int64(0))
        layouts[i] = head

    dynamic = not isinstance(trip_count, int)

    def finish(final):
        final = list(final)
        for i, head in layouts.items():
            final[i] = (DynamicStagedList if dynamic else StagedList)(final[i].buffer, head)
        return tuple(final)

    return tuple(new_state), finish


def _run_time_buffer(trip_count, per_iteration, shape, dtype):
    """A zero buffer of `trip_count * per_iteration` rows (a traced count) of `shape`."""
    from flowjit.ir import types
    from flowjit.ir.ops import creation
    ir = tensors.ir()
    count = creation.as_length(trip_count)
    rows = count if per_iteration == 1 else ir.tracing.apply("multiply", count, per_iteration)
    dim = creation.size_dim(count)
    if isinstance(dim, types.DynamicDim) and per_iteration != 1:
        dim = creation.size_dim(rows)
    elif per_iteration != 1:
        dim = dim * per_iteration
    if any(not isinstance(d, int) for d in shape):
        raise StagingError(
            f"the values appended in a loop with a run-time trip count have a shape known "
            f"only at run time ({tuple(str(d) for d in shape)}); fix: append values of a "
            f"fixed shape, or preallocate the result and assign rows in the loop.")
    return ir.tracing.apply("full", np.zeros((), dtype)[()], rows,
                            shape=(dim,) + tuple(shape), dtype=np.dtype(dtype))


def _type_of(v):
    if tensors.is_tensor(v):
        return v.dtype, tuple(v.shape)
    a = np.asarray(v)
    if isinstance(v, (bool, int, float)) and not isinstance(v, np.generic):
        raise StagingError("a Python number appended inside a loop on traced values has no "
                           "fixed dtype; fix: append a NumPy value (e.g. `np.float64(v)`).")
    return a.dtype, a.shape


def stack(f):
    """An overload of `np.stack`/`np.array`/`np.asarray` that returns a staged list's buffer."""
    def overload(arrays, *args, **kwargs):
        if isinstance(arrays, DynamicStagedList):
            if args or not set(kwargs) <= {"dtype", "axis"} or kwargs.get("axis", 0) != 0:
                raise StagingError(
                    f"{getattr(f, '__name__', 'stack')} of a list appended to in a loop with a "
                    f"run-time trip count supports only `axis=0` and `dtype`; fix: stack it "
                    f"first (`a = np.stack(lst)`), then transform `a`.")
            buffer = arrays.staged_buffer()
            dtype = kwargs.get("dtype")
            return buffer if dtype is None else buffer.astype(dtype)
        if isinstance(arrays, StagedList) and not args and \
                set(kwargs) <= {"dtype", "axis"} and kwargs.get("axis", 0) == 0:
            buffer = arrays.staged_buffer()
            if buffer is not None and len(arrays) == buffer.shape[0]:
                dtype = kwargs.get("dtype")
                return buffer if dtype is None else buffer.astype(dtype)
        # Not a staged list: what converted_call would call (np.array([traced, ...]) is
        # flowjit's, as NumPy never dispatches it).
        from flowjit.ir.ops.creation import traced_argument_function
        impl = traced_argument_function(f, (arrays,) + args, kwargs) or f
        return impl(arrays, *args, **kwargs)
    overload.__name__ = getattr(f, "__name__", "stack")
    return overload
