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

When the number of appends is only known at run time (a `while` loop on a traced condition,
a loop that can stop early with `break`/`return`, appends under a traced `if`), the list
becomes a `TracedList`: a growable list value of the IR (`ListType`, ir/ops/lists.py;
TensorFlow's TensorList) that loops carry and `cond` returns like any value. Its existing
items, and everything appended, must share one dtype and shape. `np.stack`/`np.array`/
`np.asarray` of it is a `list_stack` (an array whose first dimension is a run-time length),
`len()` a traced int64 (`list_length`), `lst[i]` an item of the stacked array.

Why both: a preallocated buffer is faster (no growth checks, rows written in place, no copy
at the end), so `for` loops whose trip count is known before the loop keep it; the growable
list is the general case.
"""

import builtins
import collections
import sys

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


class TracedList(collections.namedtuple("TracedList", ["handle"])):
    """A Python list turned into a growable list value of the IR (see the module docstring).

    A pytree node (a namedtuple) whose one leaf is `handle`, a Tensor of `ListType`: control
    flow carries it like any value. Functional: `appended(v)` returns a new TracedList.
    """

    __slots__ = ()

    @property
    def element(self):
        return self.handle.type.element

    def appended(self, value, name="the list", site=None):
        _check_element(value, self.element, name, site)
        return TracedList(_ir_lists().append(self.handle, value))

    def length(self):
        return _ir_lists().length(self.handle)

    def stack(self, dtype=None):
        a = _ir_lists().stack(self.handle)
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)

    def __getitem__(self, i):
        return self.stack()[i]

    def __len__(self):
        raise StagingError("len() of a list appended to in traced control flow is a run-time "
                           "value; call it in the compiled function's code (`len(lst)` gives "
                           "a traced int there) or stack the list first (`np.stack(lst)`).")

    def __iter__(self):
        # pytree flattening iterates the namedtuple's fields.
        return tuple.__iter__(self)

    def __repr__(self):
        return f"<TracedList of {self.element}>"


def _ir_lists():
    from flowjit.ir.ops import lists as ir_lists
    return ir_lists


def _value_type(v):
    """`(dtype, shape, weak)` of a value appended to (or held by) a list."""
    if tensors.is_tensor(v):
        return v.dtype, tuple(v.shape), v.type.weak
    if isinstance(v, (bool, int, float)) and not isinstance(v, np.generic):
        a = np.asarray(v)
        return (np.dtype(np.int64) if a.dtype.kind == "i" else a.dtype), (), True
    a = np.asarray(v)
    return a.dtype, a.shape, False


def _describe(dtype, shape):
    return f"{np.dtype(dtype).name}{list(shape)}"


def _fits(v, element):
    """Whether `v` can be an element of type `element` (a Python scalar / weak value adopts
    the element's dtype when NumPy would, e.g. an int in a float list)."""
    dtype, shape, weak = _value_type(v)
    if tuple(shape) != tuple(element.shape):
        return False
    if dtype == element.dtype:
        return True
    return weak and np.result_type(dtype.type(0).item(), element.dtype) == element.dtype


def _check_element(value, element, name, site):
    if not _fits(value, element):
        dtype, shape, _ = _value_type(value)
        where = f"\n  at:  {site.excerpt()}" if site is not None else ""
        raise StagingError(
            f"a {_describe(dtype, shape)} value is appended to '{name}', a list of "
            f"{_describe(element.dtype, element.shape)} values (a list appended to in traced "
            f"control flow holds values of one dtype and shape).{where}\n  fix: append values "
            f"of one dtype and shape (use `.astype(...)`, or `np.float64(v)` for a number).")


def element_type(values, name, site):
    """The element type of a list holding `values` (its items and what is appended to it):
    the common dtype and shape; a StagingError naming `name` if they differ."""
    T = _types()
    strong = {(v[0], tuple(v[1])) for v in map(_value_type, values) if not v[2]}
    where = f"\n  at:  {site.excerpt()}" if site is not None else ""
    if len(strong) > 1:
        raise StagingError(
            f"the values in '{name}' differ in dtype or shape "
            f"({', '.join(sorted(_describe(*t) for t in strong))}); a list appended to in "
            f"traced control flow holds values of one dtype and shape.{where}\n  fix: append "
            f"values of one dtype and shape (use `.astype(...)`).")
    if strong:
        dtype, shape = strong.pop()
    else:
        types = [_value_type(v) for v in values]
        shapes = {t[1] for t in types}
        if len(shapes) > 1:
            raise StagingError(f"the values in '{name}' differ in shape ({sorted(shapes)})."
                               f"{where}\n  fix: append values of one shape.")
        dtype = np.result_type(*[t[0].type(0).item() for t in types])
        dtype = np.dtype(np.int64) if dtype.kind == "i" else dtype
        shape = shapes.pop()
    element = T.TensorType(dtype, shape)
    T.check_dtype(dtype, f"'{name}''s items")
    for v in values:
        _check_element(v, element, name, site)
    return element


def _types():
    from flowjit.ir import types
    return types


def to_traced_list(items, element, name="the list", site=None):
    """A TracedList holding `items` (a list_new and one list_append per item)."""
    lst = TracedList(_ir_lists().new(element))
    for v in items:
        lst = lst.appended(v, name, site)
    return lst


def _target_name(target, frame):
    for k, v in frame.f_locals.items():
        if v is target and not k.startswith("ag__"):
            return k
    return "the list"


def list_append(target, value):
    """`target.append(value)`; on a TensorList, writes the next row of its buffer."""
    if isinstance(target, TracedList):
        frame = sys._getframe(1)
        from .staging_errors import Site
        return target.appended(value, _target_name(target, frame), Site.of_caller(frame))
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
    return type(value) is list or type(value) is _Probe


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
    where = f"\n  loop:  {site.excerpt()}"
    probe = tuple(_Probe(v) if i in positions else v for i, v in enumerate(state))
    after = one_iteration(probe)
    new_state, layouts = list(state), {}
    for i in positions:
        head, appended = list(state[i]), after[i]
        if early_exit or isinstance(appended, TracedList) or getattr(appended, "len_read",
                                                                      False):
            # (`len(lst)` read in the loop may decide whether to append: the dry run cannot
            # tell that the appends are unconditional.)
            # The number of appends is only known at run time: a growable list.
            traced = _growable(head, [appended], names[i], site, may_unroll)
            if traced is not None:
                new_state[i] = traced
            continue
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


def _appended(head, after):
    """The values a path appended to the list `head` (None: it stopped being that list)."""
    if isinstance(after, TracedList):
        return after
    if not isinstance(after, list) or len(after) < len(head) or \
            any(a is not b for a, b in zip(head, after)):
        return None
    return after[len(head):]


def _growable(head, afters, name, site, may_unroll=False):
    """A TracedList holding `head` if some path (`afters`: the list after each path) appends
    to it, else None (the list is left as it is)."""
    values, element, grows = list(head), None, False
    for after in afters:
        new = _appended(head, after)
        if new is None:
            raise StagingError(f"'{name}' stops being the same list inside traced control "
                               f"flow.\n  at:  {site.excerpt()}\n  fix: only append to "
                               f"`{name}` there (or give it its final value before).")
        if isinstance(new, TracedList):
            element, grows = new.element, True
        elif new:
            if may_unroll and not all(tensors.is_tensor(v) and not v.type.weak for v in new):
                # Python values (or values of the loop index only): unrolling keeps them Python.
                raise Unroll()
            values += new
            grows = True
    if not grows:
        return None
    if element is None:
        element = element_type(values, name, site)
    else:
        for v in values:
            _check_element(v, element, name, site)
    return to_traced_list(head, element, name, site)


def grow_lists(state, names, afters, site, may_unroll=False):
    """`state` with each Python list that some path appends to turned into a TracedList.

    Args:
      state: the statement's state before it (a tuple).
      names: the variables' names.
      afters: `(probe) -> [state after each path]`: runs the statement's paths (branches of an
        `if`, one iteration of a loop) in discarded regions on `probe`, a copy of `state`
        whose lists are fresh copies.
      site: the statement, for errors.
    """
    positions = [i for i, v in enumerate(state) if is_list_state(v)]
    if not positions:
        return state
    new_state = list(state)
    paths = afters(lambda: tuple(list(v) if i in positions else v
                                 for i, v in enumerate(state)))
    for i in positions:
        traced = _growable(list(state[i]), [p[i] for p in paths], names[i], site, may_unroll)
        if traced is not None:
            new_state[i] = traced
    return tuple(new_state)


class _Probe(list):
    """A copy of a list for a dry run of a loop body; records whether `len()` read it."""

    len_read = False


def register_overloads(overloads):
    """`len(lst)` of a TracedList is a traced int64 (`list_length`)."""
    base = overloads.get(builtins.len, len)

    def len_(x):
        if isinstance(x, TracedList):
            return x.length()
        if isinstance(x, _Probe):
            x.len_read = True
        return base(x)

    overloads[builtins.len] = len_


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
        if isinstance(arrays, TracedList):
            if args or not set(kwargs) <= {"dtype", "axis"} or kwargs.get("axis", 0) != 0:
                raise StagingError(
                    f"{getattr(f, '__name__', 'stack')} of a list appended to in traced "
                    f"control flow supports only `axis=0` and `dtype`; fix: stack it first "
                    f"(`a = np.stack(lst)`), then transform `a`.")
            return arrays.stack(kwargs.get("dtype"))
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
