"""Control flow operators: what `ag__.if_stmt`, `while_stmt`, `for_stmt` and `if_exp` do.

Why this module exists. The converted code hands each `if`, `while` and `for` to one of these
functions as a set of closures (the blocks, a test, and `get_state`/`set_state` over the
variables that flow through the statement). The operator then decides, *at trace time*, on the
value it is given:

* A traced condition or iterable (a `flowjit.ir.tracing.Tensor`) cannot be decided now, so the
  statement is staged: `if` -> a `cond` op whose two regions trace the two blocks; `while` and
  `for` -> a `while_loop` op whose carried values are the statement's state. The blocks run
  exactly once each, under tracing.
* A Python or NumPy value is decided now, so the statement runs as Python would run it: once,
  at trace time (an `if` on a shape, a loop over a Python list unrolls).

Python `range` loops are the one place where the choice is not forced: unrolling is always
correct but makes the graph grow with the trip count. When every value the loop carries is
already traced, the loop is staged with a weak Python-int induction variable; otherwise
iterations run in Python until it is (typically after the first one), and the rest is staged.
A list the loop appends to (`out.append(v)`, rewritten to `out = ag__.list_append(out, v)`)
is carried as a preallocated buffer, or as a growable list when the number of appends is only
known at run time (`while`, `break`/`return`, appends under a traced `if`; operators/lists.py);
loops that mutate other Python
containers (`d.update(...)`) are never staged: such effects are not loop-carried values. If
staging fails (say the body indexes a Python list with the loop index), the loop is unrolled
instead.

Variables that have no value before a staged statement (`ag__.Undefined`) need one to enter
a region. A loop gets a zero of the type the body gives it (found by tracing the body once
into a discarded region, as AutoGraph does); an `if` that returns in one branch only gets a
zero return value in the other (never observed: the return flag guards it). A user variable
assigned in only one branch of a traced `if` and live after it is a StagingError naming it.
"""

import sys

import numpy as np

from . import lists, py_builtins, staging_errors, tensors
from .variables import UndefinedReturnValue, is_undefined
from ...errors import StagingError

# Exceptions that make a staged Python-range loop fall back to unrolling: what typically goes
# wrong when a Python int becomes a traced index (list indexing, shapes, static arguments).
_UNROLL_ON = (StagingError, TypeError, IndexError, NotImplementedError, ValueError)
# Note: lists.Unroll is a StagingError: a Python range loop whose lists hold Python values.


# -- if ------------------------------------------------------------------------------------------

def if_stmt(cond, body, orelse, get_state, set_state, symbol_names, nouts):
    """Runs `body()` if `cond` else `orelse()`; stages a `cond` op if `cond` is traced.

    Args:
      cond: the evaluated condition.
      body, orelse: the two blocks, as functions of no arguments that update the state.
      get_state, set_state: read and write the state variables (a tuple).
      symbol_names: the state variables' names, outputs first.
      nouts: how many of them are live after the statement (the outputs).
    """
    if tensors.is_tensor(cond):
        site = staging_errors.Site.of_caller(sys._getframe(1))
        _staged_if(cond, body, orelse, get_state, set_state, symbol_names, nouts, site)
    elif cond:
        body()
    else:
        orelse()


def _staged_if(cond, body, orelse, get_state, set_state, names, nouts, site):
    ir = tensors.ir()
    init = lists.grow_lists(tuple(get_state()), names, lambda probe: [_dry_run(
        lambda b=b: _run_on(probe(), b, get_state, set_state), set_state,
        restore=tuple(get_state())) for b in (body, orelse)], site)
    plan = {}

    def run(block):
        set_state(init)
        block()
        return tuple(get_state())[:nouts]

    def true_fn():
        outs = run(body)
        else_outs = None
        if any(is_undefined(v) for v in outs):
            # Python needs to know now what the other branch gives these variables.
            else_outs = _dry_run(lambda: run(orelse), set_state, restore=outs + init[nouts:])
        keep, values = [], []
        for i, v in enumerate(outs):
            if is_undefined(v):
                other = else_outs[i]
                if is_undefined(other):
                    continue  # Unassigned on both paths: stays undefined after the `if`.
                if not isinstance(v, UndefinedReturnValue):
                    raise staging_errors.undefined_in_branch(names[i], "else", site)
                v = _zero_like(other, names[i], site)
            keep.append(i)
            values.append(v)
        plan["keep"], plan["true_outs"] = keep, outs
        plan.setdefault("leaf_names", [])[:] = _leaf_names([names[i] for i in keep], values)
        return tuple(values)

    def false_fn():
        outs = run(orelse)
        values = []
        for i in plan["keep"]:
            v = outs[i]
            if is_undefined(v):
                if not isinstance(v, UndefinedReturnValue):
                    raise staging_errors.undefined_in_branch(names[i], "if", site)
                v = _zero_like(plan["true_outs"][i], names[i], site)
            values.append(v)
        return tuple(values)

    try:
        # One name per flattened output leaf (a returned tuple has several); true_fn fills it
        # in once it knows the values, before `cond` reads it.
        results = ir.cond(cond, true_fn, false_fn, names=plan.setdefault("leaf_names", []))
    except StagingError as e:
        if getattr(e, "_ag_located", False) or "is assigned only in" in str(e):
            raise
        if any(n.startswith("retval_") and f"'{n}'" in str(e) for n in names):
            raise staging_errors.returns_on_some_paths(site) from None
        raise staging_errors.located(e, site, "condition") from None
    final = list(init)
    for i, r in zip(plan["keep"], results):
        final[i] = r
    set_state(tuple(final))


def if_exp(cond, if_true, if_false, expr_repr=None):
    """`if_true() if cond else if_false()`; a `cond` op if `cond` is traced."""
    if tensors.is_tensor(cond):
        return tensors.ir().cond(cond, lambda: (if_true(),), lambda: (if_false(),))[0]
    return if_true() if cond else if_false()


# -- while ---------------------------------------------------------------------------------------

def while_stmt(test, body, get_state, set_state, symbol_names, opts=None):
    """Runs `while test(): body()`; stages a `while_loop` op once the test is traced.

    The test is evaluated in Python first; if it (or a later evaluation, once the loop made
    some state traced) gives a traced value, the remaining iterations become a `while_loop`.
    """
    site = staging_errors.Site.of_caller(sys._getframe(1))
    while True:
        t = test()
        if tensors.is_tensor(t):
            _staged_while(test, body, get_state, set_state, symbol_names, site)
            return
        if not t:
            return
        body()


def _staged_while(test, body, get_state, set_state, names, site):
    ir = tensors.ir()
    # Lists the loop appends to become growable lists (their length is a run-time value).
    state = lists.grow_lists(tuple(get_state()), names, lambda probe: [_dry_run_iteration(
        lambda s: _run_on(s, body, get_state, set_state), probe(), set_state,
        restore=tuple(get_state()))], site)
    set_state(state)
    init = _fill_undefined(state, lambda: body(), get_state, set_state, names, site)

    flat = _FlatState(init, names)

    def cond_fn(*leaves):
        set_state(flat.unflatten(leaves))
        return test()

    def body_fn(*leaves):
        set_state(flat.unflatten(leaves))
        body()
        return flat.flatten(get_state())

    try:
        final = ir.while_loop(cond_fn, body_fn, flat.leaves, names=flat.names)
    except StagingError as e:
        raise staging_errors.located(e, site, "loop") from None
    set_state(flat.unflatten(final))


# -- for -----------------------------------------------------------------------------------------

def for_stmt(iter_, extra_test, body, get_state, set_state, symbol_names, opts=None):
    """Runs `for itr in iter_: body(itr)` while `extra_test()` holds (break/return flags).

    Staged (`while_loop`) for a traced array (over its first axis), `range` with a traced
    bound, `enumerate`/`zip` over traced arrays, and Python `range` loops whose carried
    values are all traced; any other iterable unrolls at trace time.

    Args:
      opts: `{'iterate_names': 'i, j'}`: the loop target's names (they are reassigned from the
        iterate each iteration, so their type before the loop does not matter).
    """
    site = staging_errors.Site.of_caller(sys._getframe(1))
    loop = _Loop(extra_test, body, get_state, set_state, symbol_names, opts or {}, site)
    if tensors.is_tensor(iter_):
        iter_ = py_builtins.StagedSequence.of(iter_)
    if isinstance(iter_, py_builtins.StagedRange):
        loop.staged_range(iter_.start, iter_.stop, iter_.step)
    elif isinstance(iter_, py_builtins.StagedSequence):
        loop.staged_sequence(iter_)
    elif isinstance(iter_, range):
        loop.python_range(iter_)
    else:
        loop.python_iterable(iter_)


class _Loop:
    """The closures of one `for` statement and the strategies to run them."""

    def __init__(self, extra_test, body, get_state, set_state, names, opts, site):
        self.extra_test = extra_test
        self.body = body
        self.get_state = get_state
        self.set_state = set_state
        self.names = tuple(names)
        self.iterate_names = {n.strip() for n in opts.get("iterate_names", "").split(",")}
        self.python_effects = opts.get("python_effects", False)
        self.may_unroll = False
        self.site = site

    # -- staged ------------------------------------------------------------------------------

    def _test(self, in_range):
        """`in_range and extra_test()`, both traced or Python."""
        if self.extra_test is None:
            return in_range
        # The extra test only reads converter flags, so evaluating it eagerly is safe and
        # avoids a `cond` in the loop test.
        extra = self.extra_test()
        if tensors.any_tensor((in_range, extra)):
            return np.logical_and(in_range, extra)
        return in_range and extra

    def _stage(self, iv_init, first_item, in_range, step, item, trip_count):
        """A `while_loop` over (induction variable, *state); `first_item()` is the first
        iterate (only computed if undefined variables or lists need a dry run of the body);
        `trip_count` sizes the buffers of the lists the loop appends to."""
        ir = tensors.ir()
        state = tuple(self.get_state())

        def one_iteration(probe):
            def run(carried):
                self.set_state(carried)
                self.body(first_item())
                return tuple(self.get_state())
            return _dry_run_iteration(run, probe, self.set_state, restore=state)

        if any(lists.is_list_state(v) for v in state):
            state, finish_lists = lists.stage_lists(
                state, self.names, trip_count() if callable(trip_count) else trip_count,
                one_iteration, self.site, early_exit=self.extra_test is not None,
                may_unroll=self.may_unroll)
            self.set_state(state)
        else:
            finish_lists = None
        state = _fill_undefined(state, lambda: self.body(first_item()),
                                self.get_state, self.set_state, self.names, self.site)
        iv_name = "_".join(sorted(n for n in self.iterate_names if n)) or "itr"

        flat = _FlatState(state, self.names)

        def cond_fn(iv, *leaves):
            self.set_state(flat.unflatten(leaves))
            return self._test(in_range(iv))

        def body_fn(iv, *leaves):
            self.set_state(flat.unflatten(leaves))
            self.body(item(iv))
            return (iv + step,) + flat.flatten(self.get_state())

        try:
            final = ir.while_loop(cond_fn, body_fn, (iv_init,) + flat.leaves,
                                  names=[iv_name] + flat.names)
        except StagingError as e:
            raise staging_errors.located(e, self.site, "loop") from None
        final = flat.unflatten(final[1:])
        self.set_state(finish_lists(final) if finish_lists else final)

    def staged_range(self, start, stop, step):
        """`for i in range(start, stop, step)` as a while_loop over `i` itself."""
        if tensors.is_tensor(step):
            def in_range(i):
                return np.where(step > 0, i < stop, i > stop)
        elif step > 0:
            def in_range(i):
                return i < stop
        elif step < 0:
            def in_range(i):
                return i > stop
        else:
            raise ValueError("range() arg 3 must not be zero")
        self._stage(start, lambda: start, in_range, step, lambda i: i,
                    lambda: py_builtins._range_length(start, stop, step))

    def staged_sequence(self, seq):
        """`for x in seq` over a traced array (or enumerate/zip of them), by index."""
        n = seq.length()
        self._stage(0, lambda: seq.item(0), lambda i: i < n, 1, seq.item, n)

    # -- Python ------------------------------------------------------------------------------

    def _all_traced(self):
        state = [v for name, v in zip(self.names, self.get_state())
                 if name not in self.iterate_names]
        return bool(state) and all(tensors.is_tensor(v) or is_undefined(v)
                                   or lists.is_list_state(v) for v in state)

    def _snapshot(self):
        return [(v, v.value) for v in self.get_state() if tensors.is_tensor(v)]

    def python_range(self, r):
        """Unrolls `r` until the carried state is all traced, then stages the rest."""
        self.may_unroll = True
        while len(r):
            if not self.python_effects and self._all_traced():
                init, snapshot = tuple(self.get_state()), self._snapshot()
                try:
                    self.staged_range(r.start, r.stop, r.step)
                    return
                except _UNROLL_ON:
                    # The body needs a Python int index (e.g. to index a Python list):
                    # restore the state and unroll, which is always correct.
                    for t, value in snapshot:
                        t.value = value
                    self.set_state(init)
                    self.python_effects = True
            self.body(r[0])
            r = r[1:]
            if self.extra_test is not None:
                t = self.extra_test()
                if tensors.is_tensor(t):
                    return self._guarded(iter(r), t)
                if not t:
                    return

    def python_iterable(self, iterable):
        """Unrolls the loop; a traced break/return flag guards the remaining iterations."""
        it = iter(iterable)
        for itr in it:
            self.body(itr)
            if self.extra_test is not None:
                t = self.extra_test()
                if tensors.is_tensor(t):
                    return self._guarded(it, t)
                if not t:
                    return

    def _guarded(self, it, test):
        """Runs the remaining iterations, each inside a `cond` on the (traced) extra test."""
        for itr in it:
            _staged_if(test, lambda itr=itr: self.body(itr), lambda: None, self.get_state,
                       self.set_state, self.names, len(self.names), self.site)
            test = self.extra_test()


# -- helpers -------------------------------------------------------------------------------------

def _leaf_names(names, values):
    """One name per flattened leaf of `values` (a variable holding a tuple has several)."""
    pytree = tensors.ir().pytree
    out = []
    for name, v in zip(names, values):
        out += [name] * len(pytree.flatten(v)[0])
    return out


class _FlatState:
    """A loop's state as the flat tuple of leaves `while_loop` carries (a variable may hold a
    tuple, e.g. a returned `(i, j)`), and back."""

    def __init__(self, state, names):
        pytree = tensors.ir().pytree
        self._pytree = pytree
        leaves, self.treedef = pytree.flatten(tuple(state))
        self.leaves = tuple(leaves)
        self.names = _leaf_names(names, state)

    def flatten(self, state):
        leaves, treedef = self._pytree.flatten(tuple(state))
        if treedef != self.treedef:
            raise StagingError(f"a loop variable changes structure between iterations "
                               f"({self.treedef} before the loop, {treedef} after one); "
                               f"keep each variable's tuples and lists the same shape.")
        return tuple(leaves)

    def unflatten(self, leaves):
        return tuple(self._pytree.unflatten(self.treedef, list(leaves)))


def _run_on(state, block, get_state, set_state):
    """Runs `block()` from `state`; returns the state after it."""
    set_state(state)
    block()
    return tuple(get_state())


def _dry_run(fn, set_state, restore):
    """Traces `fn()` into a region that is then thrown away; returns what `fn` returned.

    Used to learn the types a block gives to variables that are undefined before it. In-place
    updates of outer arrays made by `fn` are undone, and the state is reset to `restore`.
    """
    builder = tensors.ir().builder
    with builder.region() as (_, _args):
        frame = builder.current_frame()
        try:
            return fn()
        finally:
            for t, old in reversed(frame.journal):
                t.value = old
            set_state(restore)


def _carried_type(value):
    """The IR type `while_loop` would carry `value` with, or None if it is not data."""
    ir = tensors.ir()
    if tensors.is_tensor(value):
        return value.type
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        return ir.types.type_of_python_scalar(value)
    if isinstance(value, (np.generic, np.ndarray)) and \
            np.dtype(value.dtype) in ir.types.SUPPORTED_DTYPES:
        return ir.types.TensorType(value.dtype, np.shape(value))
    return None


def _dry_run_iteration(run, probe, set_state, restore):
    """`_dry_run` of one loop iteration, `run(state)`, from `probe` with the carried data
    replaced by fresh traced values of the same types (region arguments), as `while_loop`
    traces the body. Paths that depend on carried values are then seen: an inner loop
    bounded by the outer loop's index appends even though the index starts at 0."""
    ir = tensors.ir()
    builder, pytree = ir.builder, ir.pytree
    leaves, treedef = pytree.flatten(tuple(probe), is_leaf=lambda x: isinstance(x, list))
    carried = [(k, t) for k, t in ((k, _carried_type(v)) for k, v in enumerate(leaves))
               if t is not None]
    with builder.region([t for _, t in carried]) as (_, args):
        frame = builder.current_frame()
        for (k, _), a in zip(carried, args):
            leaves[k] = ir.tracing.Tensor(a)
        try:
            return run(pytree.unflatten(treedef, leaves))
        finally:
            for t, old in reversed(frame.journal):
                t.value = old
            set_state(restore)


def _fill_undefined(state, run_body, get_state, set_state, names, site):
    """Replaces undefined loop variables by zeros of the type one iteration gives them."""
    if not any(is_undefined(v) for v in state):
        return state

    def one_iteration():
        set_state(state)
        run_body()
        return tuple(get_state())

    after = _dry_run(one_iteration, set_state, restore=state)
    filled = []
    for name, before, v in zip(names, state, after):
        if is_undefined(before):
            before = before if is_undefined(v) else _zero_like(v, name, site)
            if is_undefined(before):
                # Not assigned by an iteration either: it keeps no value through the loop.
                raise StagingError(
                    f"'{name}' has no value before a loop on a traced condition, and the loop "
                    f"does not always assign it.\n  loop:  {site.excerpt()}\n"
                    f"  fix: give `{name}` a value before the loop.")
        filled.append(before)
    return tuple(filled)


def _zero_like(value, name, site):
    """A zero with `value`'s type (dtype, shape, weakness), built from the type alone."""
    if tensors.is_tensor(value):
        ty = value.type
        if ty.weak:
            return ty.dtype.type(0).item()
        if any(not isinstance(d, int) for d in ty.shape):
            raise StagingError(
                f"'{name}' is first assigned inside traced control flow with a shape known "
                f"only at run time ({ty}).\n  at:  {site.excerpt()}\n"
                f"  fix: give `{name}` a value before the `if`/loop.")
        return np.zeros(ty.shape, ty.dtype)[()] if not ty.shape else np.zeros(ty.shape,
                                                                                ty.dtype)
    if isinstance(value, (bool, int, float)):
        return type(value)(0)
    if isinstance(value, (np.ndarray, np.generic)):
        return np.zeros_like(value)[()] if np.ndim(value) == 0 else np.zeros_like(value)
    if value is None:
        return None
    if isinstance(value, (tuple, list)):  # A returned tuple: a zero per leaf.
        return type(value)(_zero_like(v, name, site) for v in value)
    if isinstance(value, dict):
        return {k: _zero_like(v, name, site) for k, v in value.items()}
    raise StagingError(f"'{name}' holds a {type(value).__name__} inside traced control flow "
                       f"and has no value before it.\n  at:  {site.excerpt()}\n"
                       f"  fix: give `{name}` a value before the `if`/loop.")
