"""Value-range analysis: integer intervals over the graph, loop-carried values included; Python
int arithmetic proven unable to leave int64 gets `nooverflow=True` (codegen then emits it
without its OverflowError check).

Weak Python ints follow Python: `steps += 1` on a value that reached INT64_MAX raises
OverflowError (where Python would make a big int), which costs a compare and a branch per
operation in codegen. Most counters provably never get there; this pass proves it.

The analysis (abstract interpretation over intervals `[lo, hi]` of Python ints):

* literals are exact, inputs and values of untracked ops span their dtype;
* `add`/`subtract`/`multiply`/`negative`/`absolute`, `floor_divide`/`remainder` by positive
  divisors, `maximum`/`minimum`, `where`, `astype`, comparisons and logic are followed
  exactly. A checked Python op's result is clamped to int64 (had it overflowed, the
  OverflowError would have ended the run); for `x * c` the operand is first restricted to
  the range that does not overflow, so `3 * n` lies in [INT64_MIN + 2, INT64_MAX - 1] and the
  `+ 1` of `3 * n + 1` cannot overflow. NumPy ints wrap: a result that may wrap spans its
  dtype;
* a `cond` branch sees its predicate refined (`then` of `n < k` has `n <= k.hi - 1`),
  through `logical_not`, `logical_and`/`logical_or`, bool `astype` and nested `cond` results
  (AutoGraph's short-circuit `and` in a loop test); results join the feasible branches;
* a `while_loop` iterates to a fixpoint: the carried values start at their initial values,
  the body sees them refined by the loop test being true, the results by it being false;
  each round joins the body's yields in, and a bound that still moves is widened to the
  dtype's limit (so it terminates in two or three rounds), then one narrowing round joins
  the initial values with the body's yields again. `for i in range(n)` gives `i` in
  [0, n.hi - 1] in the body, so `i + 1` is marked.

Python products by a constant that may overflow get `operand_ranges`: codegen checks them
with one range compare on the other operand and drops a bound that operand is known to
satisfy (Collatz's `n` stays >= 1, so `3 * n` is one signed compare against INT64_MAX // 3).

Only the final round of each loop (with the fixpoint intervals, an over-approximation of
every execution) marks ops. Ops in branches proven never to run are left as they are.
Results, errors and their order are unchanged: a marked op never overflows in any run.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core import Graph, Literal, Op, Region, Value
from .manager import Pass, Rebuilder

Interval = tuple[int, int]

_INT64 = (-(1 << 63), (1 << 63) - 1)

#: Python int ops that raise OverflowError outside int64 and that this pass can mark.
CHECKED = frozenset({"add", "subtract", "multiply", "negative", "absolute"})

#: Plain rounds of a loop before bounds still moving are widened to the dtype's limits
#: (0: from the first round on; a loop nest of depth d is analyzed about 2**d times).
_PLAIN_ROUNDS = 0
#: Rounds after which every carried integer spans its dtype (a safety net; widening
#: normally converges in one more round).
_MAX_ROUNDS = 12
#: How deep predicate refinement follows producers.
_REFINE_DEPTH = 6
#: Op visits after which the analysis gives up (deep loop nests cost about 3**depth visits
#: of the innermost body); the graph is then returned unmarked.
MAX_VISITS = 200_000


def dtype_range(dtype: np.dtype) -> Optional[Interval]:
    """The interval of a bool or integer dtype; None for untracked dtypes (floats)."""
    if dtype.kind == "b":
        return (0, 1)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return (int(info.min), int(info.max))
    return None


def _hull(a: Interval, b: Interval) -> Interval:
    return (min(a[0], b[0]), max(a[1], b[1]))


def _meet(a: Interval, b: Interval) -> Optional[Interval]:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def _within(a: Interval, b: Interval) -> bool:
    return b[0] <= a[0] and a[1] <= b[1]


def _python_op(op: Op) -> bool:
    return bool(op.attrs.get("python")) and op.results[0].type.weak


class _Infeasible(Exception):
    """A refinement found that the path it describes cannot run."""


class _OverBudget(Exception):
    """The analysis visited more than `MAX_VISITS` ops."""


class RangeAnalysis(Pass):
    """Marks Python int `add`/`subtract`/`multiply`/`negative`/`absolute` ops whose result
    provably fits int64 with `nooverflow=True`, and gives Python products by a constant it
    cannot prove `operand_ranges` (the operands' intervals, where narrower than int64), so
    codegen's range compare skips an implied bound (see the module docstring)."""

    name = "range_analysis"

    def run(self, graph: Graph) -> Graph:
        if not any(op.name in CHECKED and op.attrs.get("python") for op in graph.walk()):
            return graph      # nothing to prove (array code): no analysis cost
        analyzer = _Analyzer()
        try:
            analyzer.analyze(graph)
        except _OverBudget:
            return graph      # nothing marked: every check stays
        if not analyzer.proven and not analyzer.operand_ranges:
            return graph
        return _Marker(analyzer.proven, analyzer.operand_ranges).run(graph)


def analyze(graph: Graph) -> dict[int, Interval]:
    """The interval of every tracked value of `graph` (by `id`), for tests and debugging:
    for values in loops, the fixpoint's (not refined by enclosing predicates)."""
    analyzer = _Analyzer()
    analyzer.analyze(graph)
    return dict(analyzer.iv)


class _Marker(Rebuilder):
    def __init__(self, proven: set[int], ranges: dict[int, tuple]):
        super().__init__()
        self.proven = proven
        self.ranges = ranges

    def visit(self, op: Op) -> None:
        if id(op) in self.proven and not op.attrs.get("nooverflow"):
            self.clone(op, attrs={**op.attrs, "nooverflow": True})
        elif id(op) in self.ranges:
            self.clone(op, attrs={**op.attrs, "operand_ranges": self.ranges[id(op)]})
        else:
            self.clone(op)


class _Analyzer:
    """Intervals live in one dict, `iv` (id(value) -> interval): definitions write it
    directly; refinements (what a branch or loop test implies) go through `set`, which logs
    the old entry on `trail`, and are undone when their scope ends (`undo(mark)`). Scopes
    nest like the regions, so a value is never redefined while a refinement of it is live.
    """

    def __init__(self):
        self.iv: dict[int, Interval] = {}
        self.trail: list[tuple[int, Optional[Interval]]] = []
        #: id(op) of the checked ops proven not to overflow.
        self.proven: set[int] = set()
        #: id(op) -> operand intervals of Python products by a constant not proven.
        self.operand_ranges: dict[int, tuple] = {}
        self.recording = True
        self.visits = 0

    # -- environment ---------------------------------------------------------------------------
    def get(self, v: Value) -> Optional[Interval]:
        """`v`'s interval here (definitions and live refinements); None: untracked."""
        r = self.iv.get(id(v))
        if r is not None:
            return r
        if isinstance(v, Literal):
            if v.type.dtype.kind in "biu":
                x = int(v.value)
                return (x, x)
            return None
        if v.type.ndim == 0:
            return dtype_range(v.type.dtype)
        return None

    def set(self, v: Value, r: Interval) -> None:
        """Refine `v` to `r` until the enclosing scope is undone."""
        key = id(v)
        self.trail.append((key, self.iv.get(key)))
        self.iv[key] = r

    def mark(self) -> int:
        return len(self.trail)

    def undo(self, mark: int) -> None:
        trail, iv = self.trail, self.iv
        while len(trail) > mark:
            key, old = trail.pop()
            if old is None:
                iv.pop(key, None)
            else:
                iv[key] = old

    def changes(self, mark: int) -> dict[int, Interval]:
        """The refinements made since `mark` (key -> current interval)."""
        return {key: self.iv[key] for key, _ in self.trail[mark:] if key in self.iv}

    def analyze(self, graph: Graph) -> None:
        self.region(graph.body)

    def region(self, region: Region) -> None:
        for op in region.ops:
            self.op(op)

    def define(self, v: Value, r: Optional[Interval]) -> None:
        full = dtype_range(v.type.dtype) if v.type.ndim == 0 else None
        if full is None or r is None:
            self.iv.pop(id(v), None)
            return
        self.iv[id(v)] = _meet(r, full) or full

    @staticmethod
    def _tracked(v: Value) -> bool:
        return v.type.ndim == 0 and dtype_range(v.type.dtype) is not None

    # -- ops -------------------------------------------------------------------------------------
    def op(self, op: Op) -> None:
        self.visits += 1
        if self.visits > MAX_VISITS:
            raise _OverBudget
        if op.name == "cond":
            self.cond(op)
            return
        if op.name == "while_loop":
            self.while_loop(op)
            return
        if op.regions or len(op.results) != 1:
            for r in op.results:
                self.define(r, None)
            return
        result = op.results[0]
        t = result.type
        if t.ndim or t.dtype.kind == "f" or any(v.type.ndim for v in op.operands):
            self.iv.pop(id(result), None)     # untracked (floats, arrays)
            return
        self.define(result, self.transfer(op))

    def transfer(self, op: Op) -> Optional[Interval]:
        """The interval of a 0-d op's result (before clamping to its dtype)."""
        name = op.name
        out = op.results[0].type.dtype
        args = [self.get(v) for v in op.operands]
        if name == "astype":
            (a,) = args
            if a is None:
                return None
            if out.kind == "b":
                return _truth(a)
            full = dtype_range(out)
            return a if full is not None and _within(a, full) else None
        if name in _COMPARE:
            if any(a is None for a in args) or any(v.type.dtype.kind == "f" for v in op.operands):
                return (0, 1)
            return _COMPARE[name](*args)
        if name == "logical_not":
            a = args[0]
            if a is None:
                return (0, 1)
            t = _truth(a)
            return (1 - t[1], 1 - t[0])
        if name in ("logical_and", "logical_or"):
            if any(a is None for a in args):
                return (0, 1)
            (alo, ahi), (blo, bhi) = (_truth(a) for a in args)
            return (alo & blo, ahi & bhi) if name == "logical_and" else (alo | blo, ahi | bhi)
        if name == "where":
            c, x, y = args
            if x is None or y is None:
                return None
            if c == (1, 1):
                return x
            if c == (0, 0):
                return y
            return _hull(x, y)
        if out.kind not in "iu" or any(a is None for a in args):
            return None
        if any(v.type.dtype.kind not in "biu" for v in op.operands):
            return None
        if name in CHECKED:
            exact = _ARITH[name](args)
            if _python_op(op):
                if _within(exact, _INT64):
                    if self.recording:
                        self.proven.add(id(op))
                    return exact
                if self.recording and name == "multiply" and any(
                        isinstance(v, Literal) for v in op.operands) and any(
                        a != _INT64 for v, a in zip(op.operands, args)
                        if not isinstance(v, Literal)):
                    # Codegen checks a product by a constant with a range compare on the
                    # other operand; a bound the operand is known to satisfy is dropped.
                    old = self.operand_ranges.get(id(op))
                    self.operand_ranges[id(op)] = tuple(args) if old is None else tuple(
                        _hull(x, y) for x, y in zip(old, args))
                return _checked_result(name, args)
            return exact if _within(exact, dtype_range(out)) else None   # NumPy ints wrap
        if name == "floor_divide":
            a, d = args
            if d[0] > 0:
                q = [x // y for x in a for y in d]
                return (min(q), max(q))
            return None
        if name == "remainder":
            a, d = args
            if d[0] > 0:
                hi = d[1] - 1
                return (0, min(hi, a[1]) if a[0] >= 0 else hi)
            if d[1] < 0:
                lo = d[0] + 1
                return (max(lo, a[0]) if a[1] <= 0 else lo, 0)
            return None
        if name == "maximum":
            return (max(args[0][0], args[1][0]), max(args[0][1], args[1][1]))
        if name == "minimum":
            return (min(args[0][0], args[1][0]), min(args[0][1], args[1][1]))
        if name == "bitwise_and":
            nonneg = [a for a in args if a[0] >= 0]
            if nonneg:
                return (0, min(a[1] for a in nonneg))
            return None
        return None

    # -- control flow ------------------------------------------------------------------------
    def cond(self, op: Op) -> None:
        pred = op.operands[0]
        joined: Optional[list] = None
        for region, truth in zip(op.regions, (True, False)):
            m = self.mark()
            try:
                self.refine(pred, truth)
            except _Infeasible:
                self.undo(m)
                continue
            self.region(region)
            ys = [self.get(v) if self._tracked(v) else None for v in region.yields]
            self.undo(m)
            joined = ys if joined is None else [
                None if a is None or b is None else _hull(a, b) for a, b in zip(joined, ys)]
        for k, r in enumerate(op.results):
            self.define(r, None if joined is None else joined[k])

    def while_loop(self, op: Op) -> None:
        test, _ = op.regions
        init = [self.get(v) if self._tracked(v) else None for v in op.operands]
        carried = list(init)
        recording, self.recording = self.recording, False
        try:
            widened = False
            for round_ in range(_MAX_ROUNDS):
                yields = self._loop_round(op, carried)
                changed = False
                for k, (old, y) in enumerate(zip(carried, yields)):
                    if old is None or y is None:
                        continue        # untracked, or the body cannot run
                    j = _hull(old, y)
                    if j != old:
                        changed = True
                        if round_ >= _PLAIN_ROUNDS:
                            full = dtype_range(op.operands[k].type.dtype)
                            j = (full[0] if j[0] < old[0] else j[0],
                                 full[1] if j[1] > old[1] else j[1])
                            widened = True
                        carried[k] = j
                if not changed:
                    break
            else:
                carried = [None] * len(carried)
                widened = False
            if widened and recording:
                # One narrowing round: `carried` covers every iteration, so the initial
                # values joined with what the body yields from it do too (`for i in
                # range(1000)` exits with i == 1000, not i in [1000, INT64_MAX]). Only
                # where ops are marked: an enclosing loop's rounds may use the looser,
                # equally sound, widened results.
                yields = self._loop_round(op, carried)
                carried = [c if c is None or y is None and i is None else
                           i if y is None else y if i is None else _hull(i, y)
                           for c, i, y in zip(carried, init, yields)]
        finally:
            self.recording = recording
        # The final round marks ops, with intervals that cover every iteration; then the
        # results: the carried values where the test is false.
        m = self.mark()
        if self.recording:
            self._loop_round(op, carried, keep_test=True)
        else:   # the body's intervals are the last round's; only the exit is needed
            for a, r in zip(test.args, carried):
                if r is not None:
                    self.set(a, r)
            self.region(test)
        m2 = self.mark()
        try:
            self.refine(test.yields[0], False)
        except _Infeasible:
            self.undo(m2)     # the loop never exits normally; keep the loose bounds
        out = [self.get(a) if self._tracked(r) else None for r, a in zip(op.results, test.args)]
        self.undo(m)
        for r, x in zip(op.results, out):
            self.define(r, x)

    def _loop_round(self, op: Op, carried, keep_test: bool = False) -> list:
        """One round: the test on `carried`, then the body on `carried` refined by the test
        being true. Returns the body's yields (all None when the body cannot run). With
        `keep_test`, the test's argument bindings stay (the caller undoes them)."""
        test, body = op.regions
        m = self.mark()
        for a, r in zip(test.args, carried):
            if r is not None:
                self.set(a, r)
        self.region(test)
        m_test = self.mark()
        try:
            self.refine(test.yields[0], True)
        except _Infeasible:
            self.undo(m_test if keep_test else m)
            return [None] * len(body.yields)
        for ta, ba in zip(test.args, body.args):
            if self._tracked(ta):
                self.set(ba, self.get(ta))
        self.region(body)
        ys = [self.get(v) if self._tracked(v) else None for v in body.yields]
        self.undo(m_test if keep_test else m)
        return ys

    # -- predicates ----------------------------------------------------------------------------
    def refine(self, v: Value, truth: bool, depth: int = _REFINE_DEPTH) -> None:
        """Refine with what `v == truth` implies; raises `_Infeasible` if it cannot hold (the
        caller undoes to its mark)."""
        t = int(truth)
        if isinstance(v, Literal):
            if v.type.dtype.kind in "bif" and bool(v.value) != truth:
                raise _Infeasible
            return
        if v.type.ndim:
            return
        if v.type.dtype.kind == "b":
            r = self.get(v)
            if not r[0] <= t <= r[1]:
                raise _Infeasible
            if r != (t, t):
                self.set(v, (t, t))
        op = v.producer
        if op is None or depth <= 0:
            return
        d = depth - 1
        name = op.name
        if name == "logical_not" and op.operands[0].type.dtype.kind == "b":
            self.refine(op.operands[0], not truth, d)
        elif name == "astype" and v.type.dtype.kind == "b" and \
                op.operands[0].type.dtype.kind == "b":
            self.refine(op.operands[0], truth, d)
        elif name == "logical_and" and truth or name == "logical_or" and not truth:
            for x in op.operands:
                if x.type.dtype.kind == "b":
                    self.refine(x, truth, d)
        elif name in _COMPARE and all(x.type.dtype.kind in "biu" for x in op.operands):
            self._refine_compare(op, truth)
        elif name == "cond" and v.type.dtype.kind == "b":
            self._refine_cond_result(op, v.index, truth, d)

    def _refine_compare(self, op: Op, truth: bool) -> None:
        name = op.name if truth else _NEGATE[op.name]
        a, b = op.operands
        ra, rb = self.get(a), self.get(b)
        if ra is None or rb is None:
            return
        na, nb = ra, rb
        if name == "less":
            na, nb = _meet(ra, (ra[0], rb[1] - 1)), _meet(rb, (ra[0] + 1, rb[1]))
        elif name == "less_equal":
            na, nb = _meet(ra, (ra[0], rb[1])), _meet(rb, (ra[0], rb[1]))
        elif name == "greater":
            na, nb = _meet(ra, (rb[0] + 1, ra[1])), _meet(rb, (rb[0], ra[1] - 1))
        elif name == "greater_equal":
            na, nb = _meet(ra, (rb[0], ra[1])), _meet(rb, (rb[0], ra[1]))
        elif name == "equal":
            na = nb = _meet(ra, rb)
        elif name == "not_equal":
            na, nb = _exclude(ra, rb), _exclude(rb, ra)
        if na is None or nb is None:
            raise _Infeasible
        if na != ra and not isinstance(a, Literal):
            self.set(a, na)
        if nb != rb and not isinstance(b, Literal):
            self.set(b, nb)

    def _refine_cond_result(self, op: Op, k: int, truth: bool, depth: int) -> None:
        """`cond` result k equals `truth`: refine through the branches that can yield it
        (one feasible branch: its predicate and yield; both: what both imply)."""
        outs = []
        for region, branch_truth in zip(op.regions, (True, False)):
            m = self.mark()
            try:
                self.refine(op.operands[0], branch_truth, depth)
                self.refine(region.yields[k], truth, depth)
            except _Infeasible:
                self.undo(m)
                continue
            outs.append(self.changes(m))
            self.undo(m)
        if not outs:
            raise _Infeasible
        if len(outs) == 1:
            refined = outs[0]
        else:
            a, b = outs
            refined = {key: _hull(a[key], b[key]) for key in a.keys() & b.keys()}
        for key, r in refined.items():
            self.trail.append((key, self.iv.get(key)))
            self.iv[key] = r


def _truth(a: Interval) -> Interval:
    """The bool interval of a value's truth."""
    if a == (0, 0):
        return (0, 0)
    if a[0] > 0 or a[1] < 0:
        return (1, 1)
    return (0, 1)


def _exclude(a: Interval, b: Interval) -> Optional[Interval]:
    """`a` without the single value of `b` when that is an endpoint of `a`."""
    if b[0] != b[1]:
        return a
    x = b[0]
    if a == (x, x):
        return None
    if a[0] == x:
        return (x + 1, a[1])
    if a[1] == x:
        return (a[0], x - 1)
    return a


def _cmp(lt_true, lt_false):
    def f(a, b):
        if lt_true(a, b):
            return (1, 1)
        if lt_false(a, b):
            return (0, 0)
        return (0, 1)
    return f


_COMPARE = {
    "less": _cmp(lambda a, b: a[1] < b[0], lambda a, b: a[0] >= b[1]),
    "less_equal": _cmp(lambda a, b: a[1] <= b[0], lambda a, b: a[0] > b[1]),
    "greater": _cmp(lambda a, b: a[0] > b[1], lambda a, b: a[1] <= b[0]),
    "greater_equal": _cmp(lambda a, b: a[0] >= b[1], lambda a, b: a[1] < b[0]),
    "equal": _cmp(lambda a, b: a[0] == a[1] == b[0] == b[1],
                  lambda a, b: a[1] < b[0] or b[1] < a[0]),
    "not_equal": _cmp(lambda a, b: a[1] < b[0] or b[1] < a[0],
                      lambda a, b: a[0] == a[1] == b[0] == b[1]),
}

_NEGATE = {"less": "greater_equal", "less_equal": "greater", "greater": "less_equal",
           "greater_equal": "less", "equal": "not_equal", "not_equal": "equal"}


def _mul(a: Interval, b: Interval) -> Interval:
    p = [x * y for x in a for y in b]
    return (min(p), max(p))


_ARITH = {
    "add": lambda args: (args[0][0] + args[1][0], args[0][1] + args[1][1]),
    "subtract": lambda args: (args[0][0] - args[1][1], args[0][1] - args[1][0]),
    "multiply": lambda args: _mul(*args),
    "negative": lambda args: (-args[0][1], -args[0][0]),
    "absolute": lambda args: (0 if args[0][0] <= 0 <= args[0][1] else
                                  min(abs(args[0][0]), abs(args[0][1])),
                                  max(abs(args[0][0]), abs(args[0][1]))),
}


def _checked_result(name: str, args) -> Interval:
    """The interval of a checked Python op that may overflow, given it did not (a run that
    overflows raises and never uses the result)."""
    lo, hi = _INT64
    if name == "multiply":
        a, b = args
        for x, c in ((a, b), (b, a)):
            if c[0] == c[1] and c[0] != 0:
                k = c[0]
                # The operand values whose product with k fits int64.
                ok = (-((-lo) // k), hi // k) if k > 0 else (-((-hi) // k), lo // k)
                x = _meet(x, ok)
                if x is None:
                    return (lo, hi)      # always overflows: never used
                p = (x[0] * k, x[1] * k)
                return (min(p), max(p))
    exact = _ARITH[name](args)
    return _meet(exact, _INT64) or _INT64
