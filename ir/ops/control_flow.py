"""Control flow ops with regions: `cond` (if/else) and `while_loop`, and their tracing.

`cond(pred, true_fn, false_fn)` traces both branches into regions; `while_loop(cond_fn,
body_fn, loop_vars)` traces the test and the body into regions over the carried values (JAX's
`lax.cond`/`lax.while_loop`, MLIR's `scf.if`/`scf.while`). AutoGraph's `if_stmt`/`while_stmt`
call these when the condition is a traced value.

Two details make Python's reference semantics work on a functional IR:
* In-place updates (`a[i] = v`) rebind a `Tensor`. An update inside a region to a Tensor created
  outside it is journaled (`builder._Frame.journal`); the region's trace is undone and the
  update becomes an extra output of the op (or an extra carried value of the loop), assigned
  back to the same Tensor after the op, so every alias sees it, as with NumPy arrays.
* A value that keeps its identity through a region (returned as the very object passed in)
  keeps it after the op too, so later in-place updates still reach the caller's array.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ...errors import StagingError
from .. import builder, pytree
from .. import types as T
from ..core import Literal, Region, Value
from ..tracing import Tensor, as_value, to_predicate
from .registry import CONTROL, OpDef, register


# -- op definitions ------------------------------------------------------------------------------

def _cond_interpret(interp, op, operands):
    region = op.regions[0] if bool(operands[0]) else op.regions[1]
    return interp.run_region(region, ())


def _while_interpret(interp, op, operands):
    test, body = op.regions
    carried = tuple(operands)
    while bool(interp.run_region(test, carried)[0]):
        carried = tuple(interp.run_region(body, carried))
    return carried


def _no_infer(types, attrs):
    raise TypeError("region ops get their result types from their regions")


register(OpDef("cond", _no_infer, None, CONTROL, interpret=_cond_interpret,
               doc="if/else on a traced condition (regions: then, else)"))
register(OpDef("while_loop", _no_infer, None, CONTROL, interpret=_while_interpret,
               doc="while/for loop on a traced condition (regions: cond, body)"))


# -- helpers -------------------------------------------------------------------------------------

def _name(names, i: int) -> str:
    return names[i] if names and i < len(names) and names[i] else f"output {i}"


def _leaf_value(leaf, name: str) -> Value:
    try:
        return as_value(leaf, name)
    except TypeError:
        raise StagingError(
            f"'{name}' holds a {type(leaf).__name__} ({leaf!r:.60}) where a traced control-flow "
            f"op needs an array or a number; give '{name}' an array or number value before the "
            f"`if`/loop on a traced condition.") from None


def _unify(a: T.TensorType, b: T.TensorType, name: str, what: str,
           carried: bool = False) -> T.TensorType:
    """The type both sides of a branch (or both ends of a loop iteration) can share.

    A graph value has one dtype and shape. In a branch, a weak value (a Python scalar eagerly)
    adopts the other side's dtype. A loop-carried value may only lose its weakness
    (`carried=True`): if its dtype changed, a loop that runs zero times would return the
    initial dtype eagerly, so no single dtype matches eager NumPy and it is a StagingError.
    """
    if a == b:
        return a
    if isinstance(a, T.ListType) or isinstance(b, T.ListType):
        raise StagingError(f"'{name}' is {_list_text(a)} {what[0]}, but {_list_text(b)} "
                           f"{what[1]}; append values of one dtype and shape to '{name}'.")
    if a.shape != b.shape:
        raise StagingError(f"'{name}' has shape {tuple(a.shape)} {what[0]}, but shape "
                           f"{tuple(b.shape)} {what[1]}; a value carried by traced control flow "
                           f"must keep its shape. Give '{name}' its final shape from the start.")
    if a.dtype == b.dtype or (not carried and (a.weak or b.weak)):
        strong = b if a.weak else a
        dtype = strong.dtype if not (a.weak and b.weak) else np.result_type(a.dtype, b.dtype)
        return T.TensorType(dtype, a.shape, weak=a.weak and b.weak)
    raise StagingError(f"'{name}' has dtype {a.dtype} {what[0]}, but dtype {b.dtype} {what[1]}; "
                       f"a value carried by traced control flow must keep its dtype. Initialize "
                       f"'{name}' with the dtype it ends up with (e.g. `np.{b.dtype}(0)` or "
                       f"`.astype(np.{b.dtype})`).")


def _list_text(t) -> str:
    return (f"a list of {t.element.dtype}{list(t.element.shape)} values"
            if isinstance(t, T.ListType) else f"a {t.dtype}{list(t.shape)} value")


def _cast(value: Value, to: T.TensorType) -> Value:
    if value.type == to:
        return value
    if isinstance(value, Literal):
        return Literal(to.dtype.type(value.value).item() if not to.weak else value.value, to)
    return builder.emit(_get("astype"), [value], {"dtype": to.dtype},
                        result_types=[to]).result


def _get(name):
    from .registry import get
    return get(name)


class _TracedRegion:
    """A region traced from a Python function: its leaves, structure and journaled updates."""

    def __init__(self, region: Region, leaves: list, treedef, updates: dict):
        self.region, self.leaves, self.treedef, self.updates = region, leaves, treedef, updates


def _trace_region(fn: Callable, arg_types: Sequence[T.TensorType], hints, *, rebind=()) -> tuple:
    """Trace `fn(*Tensors of arg_types)` into a new region.

    `rebind` lists outer Tensors to bind to the extra trailing region arguments while tracing
    (loop-carried values the body updates in place). Returns `(_TracedRegion, arg_tensors)`.
    Every journaled update of an outer Tensor is undone after tracing and reported in
    `updates` (Tensor id -> (Tensor, value inside the region)).
    """
    with builder.region(arg_types, hints) as (region, args):
        arg_tensors = [Tensor(a) for a in args]
        n_user = len(args) - len(rebind)
        saved = [(t, t.value) for t in rebind]
        for t, a in zip(rebind, args[n_user:]):
            t.value = a
        try:
            out = fn(*arg_tensors[:n_user])
            leaves, treedef = pytree.flatten(out)
            # Convert inside the region: constant arrays become ops of this region.
            values = [_leaf_value(leaf, _name(hints, i)) if not _static(leaf) else leaf
                      for i, leaf in enumerate(leaves)]
            frame = builder.current_frame()
            updates = {id(t): (t, t.value) for t, _ in frame.journal}
            rebound = [(t, t.value) for t in rebind]
            for t, old in reversed(frame.journal):
                t.value = old
        finally:
            for t, old in saved:
                t.value = old
        region.yields = ()
    traced = _TracedRegion(region, values, treedef, updates)
    traced.rebound = rebound
    traced.raw_leaves = leaves
    return traced, arg_tensors


def _static(leaf) -> bool:
    """Leaves that are not data (None, strings, functions) pass through control flow as
    Python values, provided both sides agree."""
    return leaf is None or isinstance(leaf, (str, bytes, type)) or callable(leaf) and not \
        isinstance(leaf, (Tensor, np.ndarray, np.generic))


# -- cond ----------------------------------------------------------------------------------------

def cond(pred, true_fn: Callable[[], object], false_fn: Callable[[], object], *,
         names: Sequence[str] | None = None):
    """`true_fn()` if `pred` else `false_fn()`, as a `cond` op when `pred` is traced.

    Args:
      pred: a traced value with NumPy truthiness (0-d, or one element), or a Python value (then
        the chosen function simply runs, as Python would).
      true_fn, false_fn: take no arguments and return the same structure (tuples, lists, dicts)
        of arrays/numbers; values of the same dtype and shape, except that a Python scalar
        adopts the other branch's dtype.
      names: the user's names for the flattened outputs, for error messages.

    Returns:
      The branch outputs' structure, holding Tensors.

    Raises:
      StagingError: the branches return different structures, shapes or dtypes.
    """
    if not isinstance(pred, Tensor):
        return true_fn() if pred else false_fn()
    p = to_predicate(pred)
    then, _ = _trace_region(true_fn, (), None)
    else_, _ = _trace_region(false_fn, (), None)
    names = list(names or ())
    if then.treedef != else_.treedef:
        raise StagingError(f"the branches of an `if` on a traced condition return different "
                           f"structures ({then.treedef} vs {else_.treedef}); make both "
                           f"branches produce the same variables and containers.")

    # Outer tensors updated in place in either branch become extra outputs.
    updated = {**then.updates, **else_.updates}
    extra = [t for t, _ in updated.values()]
    then_vals, else_vals, out_types, statics = [], [], [], []
    for i, (a, b) in enumerate(zip(then.leaves, else_.leaves)):
        if _static(a) or _static(b):
            if not (a is b or (_static(a) and _static(b) and a == b)):
                raise StagingError(
                    f"'{_name(names, i)}' is {a!r:.40} in one branch and {b!r:.40} in the other "
                    f"of an `if` on a traced condition; give it an array or number in both.")
            statics.append((i, a))
            continue
        out_types.append(_unify(a.type, b.type, _name(names, i), ("in the `if` branch",
                                                                  "in the `else` branch")))
        then_vals.append(a)
        else_vals.append(b)
    for t in extra:
        then_vals.append(then.updates.get(id(t), (t, t.value))[1])
        else_vals.append(else_.updates.get(id(t), (t, t.value))[1])
        out_types.append(t.type)

    for traced, vals in ((then, then_vals), (else_, else_vals)):
        with _reopen(traced.region):
            traced.region.yields = tuple(_cast(v, ty) for v, ty in zip(vals, out_types))

    hints = [n for i, n in enumerate(names) if all(i != j for j, _ in statics)] if names else None
    hints = (hints or [None] * (len(out_types) - len(extra)))[:len(out_types) - len(extra)]
    op = builder.emit(_get("cond"), [p.value], {}, result_types=out_types,
                      regions=(then.region, else_.region),
                      name_hints=list(hints) + [None] * len(extra))
    results = list(op.results)
    for t, r in zip(extra, results[len(results) - len(extra):]):
        t.assign(r)
    data = iter(results)
    out_leaves = []
    static_map = dict(statics)
    for i, (a, b) in enumerate(zip(then.raw_leaves, else_.raw_leaves)):
        if i in static_map:
            out_leaves.append(static_map[i])
            continue
        r = next(data)
        # A Tensor created before the `if` and returned as itself by both branches keeps its
        # identity, so aliases (and the caller's array) see in-place updates.
        if a is b and isinstance(a, Tensor) and a._depth < builder.depth() + 1:
            if a.value is not r:
                a.assign(r)
            out_leaves.append(a)
        else:
            out_leaves.append(Tensor(r))
    return pytree.unflatten(then.treedef, out_leaves)


class _reopen:
    """Re-enter a finished region to append ops (casts that unify branch types)."""

    def __init__(self, region: Region):
        self.region = region

    def __enter__(self):
        builder._state.frames.append(builder._Frame(self.region))

    def __exit__(self, *exc):
        builder._state.frames.pop()


# -- while_loop ----------------------------------------------------------------------------------

def while_loop(cond_fn: Callable[..., object], body_fn: Callable[..., object],
               loop_vars: Sequence[object], *, names: Sequence[str] | None = None):
    """Run `body_fn` while `cond_fn` holds, as a `while_loop` op when the test is traced.

    Args:
      cond_fn: `(*vars) -> bool-like`; traced (0-d) or a Python bool.
      body_fn: `(*vars) -> tuple` of the new values, same types as `loop_vars`.
      loop_vars: the initial carried values (Tensors, NumPy values or Python scalars).
      names: the user's names of the carried values, for error messages.

    Returns:
      The tuple of final carried values (Tensors).

    Raises:
      StagingError: a carried value changes shape, or dtype (other than a Python scalar
        becoming the NumPy dtype it meets), between iterations.
    """
    loop_vars = tuple(loop_vars)
    names = list(names or ())
    init = [as_value(v, _name(names, i)) if not isinstance(v, Tensor) else v.value
            for i, v in enumerate(loop_vars)]
    types = [v.type for v in init]
    rebind: list[Tensor] = []
    for _attempt in range(8):
        hints = names[:len(init)] + [None] * (len(types) - len(names[:len(init)]))
        test, _ = _trace_region(lambda *vs: to_predicate(cond_fn(*vs)), types, hints,
                                rebind=rebind)
        body, body_args = _trace_region(lambda *vs: tuple(body_fn(*vs)), types, hints,
                                        rebind=rebind)
        if len(body.leaves) != len(init):
            raise StagingError(f"the loop body returns {len(body.leaves)} values for "
                               f"{len(init)} loop variables")
        new_rebind = [t for t, _ in {**test.updates, **body.updates}.values()
                      if not any(t is r for r in rebind)]
        outs = list(body.leaves) + [v for _, v in body.rebound]
        new_types = [_unify(ty, v.type, _name(hints, i),
                            ("before the loop", "after one iteration"), carried=True)
                     for i, (ty, v) in enumerate(zip(types, outs))]
        if not new_rebind and new_types == types:
            break
        # Relax the carried types (a Python scalar becoming a NumPy dtype), or carry the outer
        # arrays the loop updates in place, and trace again.
        rebind += new_rebind
        types = new_types + [t.type for t in new_rebind]
    else:
        raise StagingError("the types of the loop variables did not settle after 8 traces")

    init_values = [_cast(v, ty) for v, ty in zip(init + [t.value for t in rebind], types)]
    pred = test.leaves[0]
    pred = pred if isinstance(pred, Value) else as_value(pred)
    with _reopen(test.region):
        # A weak bool (a comparison of Python scalars) is already the predicate codegen needs:
        # weakness only matters for arithmetic, so no cast is emitted for it.
        test.region.yields = (pred if pred.type.dtype == T.BOOL and pred.type.ndim == 0
                              else _cast(pred, T.scalar(T.BOOL)),)
    with _reopen(body.region):
        body.region.yields = tuple(_cast(v, ty) for v, ty in zip(outs, types))
    op = builder.emit(_get("while_loop"), init_values, {}, result_types=types,
                      regions=(test.region, body.region), name_hints=hints)
    results = list(op.results)
    for t, r in zip(rebind, results[len(init):]):
        t.assign(r)
    final = []
    for i, (v, r) in enumerate(zip(loop_vars, results)):
        # A carried array the body only updated in place (returned as the same object) keeps
        # its identity after the loop, as a NumPy array would.
        if isinstance(v, Tensor) and body.raw_leaves[i] is body_args[i]:
            v.assign(r)
            final.append(v)
        else:
            final.append(Tensor(r))
    return tuple(final)
