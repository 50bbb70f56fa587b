"""Value types of the IR: NumPy dtypes, static or symbolic shapes, and NEP 50 promotion."""

from __future__ import annotations

import dataclasses
import itertools
import math
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

    # Arithmetic builds canonical dimension expressions (`DimExpr`).
    def __add__(self, other): return dim_add(self, other)
    def __radd__(self, other): return dim_add(other, self)
    def __sub__(self, other): return dim_sub(self, other)
    def __rsub__(self, other): return dim_sub(other, self)
    def __mul__(self, other): return dim_mul(self, other)
    def __rmul__(self, other): return dim_mul(other, self)
    def __floordiv__(self, other): return dim_floordiv(self, other)
    def __neg__(self): return dim_mul(-1, self)


@dataclasses.dataclass(frozen=True, eq=False)
class DynamicDim:
    """A dimension known only when the compiled code runs (data dependent): the length of
    `np.arange(start, stop, step)` with traced bounds, or of a list appended to in a staged
    loop whose trip count is traced.

    It is bound to a graph value: `value`, a non-negative int64 0-d `ir.core.Value` that is an
    operand of every op that creates an array with this dimension (`arange`, `full`), so it is
    computed before the array and kept alive by DCE. Codegen maps the dimension to that
    value's SSA register; the interpreter and NumPy references receive it as an operand.
    Identity equality: two DynamicDims are equal only if they are the same object.
    """

    name: str
    value: object = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"DynamicDim({self.name})"

    __add__, __radd__, __sub__, __rsub__ = Dim.__add__, Dim.__radd__, Dim.__sub__, Dim.__rsub__
    __mul__, __rmul__, __floordiv__, __neg__ = (Dim.__mul__, Dim.__rmul__, Dim.__floordiv__,
                                                Dim.__neg__)


_dynamic_names = itertools.count()


def new_dynamic_dim(value) -> DynamicDim:
    """A new `DynamicDim` bound to `value` (a non-negative int64 0-d graph value)."""
    return DynamicDim(f"d{next(_dynamic_names)}", value)


# -- symbolic dimension expressions ------------------------------------------------------------
# A `DimExpr` is an integer polynomial over *atoms*: `Dim`s, `DynamicDim`s, and the compound
# atoms `FloorDiv(e, k)` (k > 0), `Max(e1, e2, ...)` and `Min(...)` that slice lengths need
# (NumPy's `slice.indices` / `len(range(...))` rules). Every constructor canonicalizes: like
# terms are merged, constants folded, `(2*n+2)//2` becomes `n+1`, `max(e, 0)` becomes `e` when
# `e` is provably non-negative (every Dim is), ...; a result that is a plain int or a single
# `Dim` is returned as that int or `Dim`, so shapes hold `int | Dim | DynamicDim | DimExpr`.
# Equality is structural on the canonical form, so `x[1:]` and `x[:-1]` of one array both have
# length `max(n-1,0)` and broadcast together. `str()` of a dimension that is exactly
# `max(e, 0)` prints `e` (a length is never negative: `float32[n-1,3]`); inside a larger
# expression the `max(...,0)` is printed.


def _atom_key(a) -> tuple:
    order = {Dim: 0, DynamicDim: 1, FloorDiv: 2, Max: 3, Min: 4}[type(a)]
    return (order, str(a), id(a) if isinstance(a, DynamicDim) else 0)


def _mono_key(m: tuple) -> tuple:
    return (-len(m), tuple(_atom_key(a) for a in m))


class _Arith:
    __add__, __radd__, __sub__, __rsub__ = Dim.__add__, Dim.__radd__, Dim.__sub__, Dim.__rsub__
    __mul__, __rmul__, __floordiv__, __neg__ = (Dim.__mul__, Dim.__rmul__, Dim.__floordiv__,
                                                Dim.__neg__)


@dataclasses.dataclass(frozen=True)
class FloorDiv:
    """Atom `num // k` (Python floor division, k > 1; `num` not a multiple of k)."""

    num: "DimExpr"
    k: int

    def __str__(self) -> str:
        return f"({self.num})//{self.k}"


@dataclasses.dataclass(frozen=True)
class Max:
    """Atom `max(args)` (at least two args, none provably dominating another)."""

    args: tuple

    def __str__(self) -> str:
        return "max(" + ",".join(str(a) for a in self.args) + ")"


@dataclasses.dataclass(frozen=True)
class Min:
    """Atom `min(args)`."""

    args: tuple

    def __str__(self) -> str:
        return "min(" + ",".join(str(a) for a in self.args) + ")"


@dataclasses.dataclass(frozen=True)
class DimExpr(_Arith):
    """A canonical integer polynomial over dimension atoms (see above).

    Attributes:
      terms: `((monomial, coefficient), ...)`, a monomial a sorted tuple of atoms, coefficients
        non-zero, in canonical order.
      const: the constant term.
    """

    terms: tuple
    const: int = 0

    def __str__(self) -> str:
        if (not self.const and len(self.terms) == 1 and self.terms[0][1] == 1
                and len(self.terms[0][0]) == 1 and isinstance(self.terms[0][0][0], Max)
                and 0 in self.terms[0][0][0].args and len(self.terms[0][0][0].args) == 2):
            # A length `max(e, 0)` prints as `e` (a length is never negative).
            inner = self.terms[0][0][0].args
            return str(inner[0] if inner[1] == 0 else inner[1])
        return self._text()

    def _text(self) -> str:
        parts = []
        for mono, c in self.terms:
            body = "*".join(str(a) for a in mono)
            if c == 1:
                t = body
            elif c == -1:
                t = "-" + body
            else:
                t = f"{c}*{body}"
            parts.append(t)
        if self.const or not parts:
            parts.append(str(self.const))
        text = parts[0]
        for p in parts[1:]:
            text += p if p.startswith("-") else "+" + p
        return text

    def __repr__(self) -> str:
        return f"DimExpr({self._text()})"

    def evaluate(self, env) -> int:
        return evaluate_dim(self, env)


def _linear(d) -> tuple[dict, int]:
    """`({monomial: coefficient}, constant)` of a dimension."""
    if isinstance(d, (bool, np.bool_)):
        raise TypeError(f"not a dimension: {d!r}")
    if isinstance(d, (int, np.integer)):
        return {}, int(d)
    if isinstance(d, DimExpr):
        return dict(d.terms), d.const
    if isinstance(d, (Dim, DynamicDim, FloorDiv, Max, Min)):
        return {(d,): 1}, 0
    raise TypeError(f"not a dimension: {d!r}")


def _make(terms: dict, const: int):
    terms = {m: c for m, c in terms.items() if c}
    if not terms:
        return int(const)
    if not const and len(terms) == 1:
        (m, c), = terms.items()
        if c == 1 and len(m) == 1 and isinstance(m[0], (Dim, DynamicDim)):
            return m[0]
    ordered = tuple(sorted(terms.items(), key=lambda mc: _mono_key(mc[0])))
    return DimExpr(ordered, int(const))


def dim_add(a, b):
    ta, ca = _linear(a)
    tb, cb = _linear(b)
    out = dict(ta)
    for m, c in tb.items():
        out[m] = out.get(m, 0) + c
    return _make(out, ca + cb)


def dim_sub(a, b):
    return dim_add(a, dim_mul(-1, b))


def dim_mul(a, b):
    ta, ca = _linear(a)
    tb, cb = _linear(b)
    out: dict = {}

    def put(m, c):
        m = tuple(sorted(m, key=_atom_key))
        out[m] = out.get(m, 0) + c

    for m1, c1 in ta.items():
        for m2, c2 in tb.items():
            put(m1 + m2, c1 * c2)
        put(m1, c1 * cb)
    for m2, c2 in tb.items():
        put(m2, c2 * ca)
    return _make(out, ca * cb)


def dim_floordiv(a, k):
    """`a // k` for a positive int `k` (Python's floor division)."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)):
        raise TypeError("a dimension can only be floor-divided by a positive int")
    k = int(k)
    if k <= 0:
        raise ValueError("a dimension can only be floor-divided by a positive int")
    terms, const = _linear(a)
    if k == 1:
        return _make(terms, const)
    q_terms, r_terms = {}, {}
    for m, c in terms.items():
        q, r = divmod(c, k)
        q_terms[m] = q
        r_terms[m] = r
    q_const, r_const = divmod(const, k)
    r_terms = {m: c for m, c in r_terms.items() if c}
    if not r_terms:
        return _make(q_terms, q_const)          # 0 <= r_const < k: floor(r_const / k) == 0
    g = math.gcd(k, r_const, *r_terms.values())
    num = _make({m: c // g for m, c in r_terms.items()}, r_const // g)
    k //= g
    if k == 1:
        return dim_add(_make(q_terms, q_const), num)
    atom = FloorDiv(num if isinstance(num, DimExpr) else _as_expr(num), k)
    return dim_add(_make(q_terms, q_const), _make({(atom,): 1}, 0))


def _as_expr(d) -> DimExpr:
    terms, const = _linear(d)
    return DimExpr(tuple(sorted(terms.items(), key=lambda mc: _mono_key(mc[0]))), const)


def _atom_nonneg(a) -> bool:
    if isinstance(a, (Dim, DynamicDim)):
        return True
    if isinstance(a, FloorDiv):
        return nonneg(a.num)
    if isinstance(a, Max):
        return any(nonneg(x) for x in a.args)
    if isinstance(a, Min):
        return all(nonneg(x) for x in a.args)
    return False


def nonneg(d) -> bool:
    """True if dimension `d` is provably >= 0 for every value of its atoms (sufficient test)."""
    terms, const = _linear(d)
    return const >= 0 and all(c > 0 and all(_atom_nonneg(a) for a in m)
                              for m, c in terms.items())


def _extreme(args, cls, pick):
    flat = []
    for a in args:
        a = _make(*_linear(a))
        if isinstance(a, DimExpr) and len(a.terms) == 1 and \
                a.terms[0][1] == 1 and isinstance(a.terms[0][0][0], cls) and \
                len(a.terms[0][0]) == 1:
            # max(max(a, b) + c, d) == max(a + c, b + c, d)
            flat.extend(dim_add(x, a.const) for x in a.terms[0][0][0].args)
        else:
            flat.append(a)
    if all(isinstance(a, int) for a in flat):
        return pick(flat)
    keep = []
    for i, a in enumerate(flat):
        dominated = False
        for j, b in enumerate(flat):
            if i == j:
                continue
            # For max: a is dropped if b >= a (b - a >= 0); ties keep the first.
            diff = dim_sub(b, a) if cls is Max else dim_sub(a, b)
            if nonneg(diff) and (diff != 0 or j < i):
                dominated = True
                break
        if not dominated:
            keep.append(a)
    if len(keep) == 1:
        return keep[0]
    keep = sorted(set(keep), key=lambda x: (isinstance(x, int), str(x)))
    return _make({(cls(tuple(keep)),): 1}, 0)


def dim_max(*args):
    """`max(args)` of dimensions, canonical."""
    return _extreme(args, Max, max)


def dim_min(*args):
    """`min(args)` of dimensions, canonical."""
    return _extreme(args, Min, min)


def is_symbolic(d) -> bool:
    """True for a shape entry that is not a Python int (`Dim`, `DynamicDim`, `DimExpr`)."""
    return isinstance(d, (Dim, DynamicDim, DimExpr))


def dim_atoms(d) -> list:
    """The `Dim`s and `DynamicDim`s `d` depends on, in first-seen order."""
    out: dict = {}

    def visit(x):
        if isinstance(x, (Dim, DynamicDim)):
            out.setdefault(x)
        elif isinstance(x, DimExpr):
            for m, _ in x.terms:
                for a in m:
                    visit(a)
        elif isinstance(x, FloorDiv):
            visit(x.num)
        elif isinstance(x, (Max, Min)):
            for a in x.args:
                visit(a)

    visit(d)
    return list(out)


def evaluate_dim(d, env) -> int:
    """The value of dimension `d` given `env` (`Dim`/`DynamicDim` -> int)."""
    if isinstance(d, (int, np.integer)):
        return int(d)
    if isinstance(d, (Dim, DynamicDim)):
        return int(env[d])
    if isinstance(d, DimExpr):
        total = d.const
        for m, c in d.terms:
            p = c
            for a in m:
                p *= evaluate_dim(a, env)
            total += p
        return total
    if isinstance(d, FloorDiv):
        return evaluate_dim(d.num, env) // d.k
    if isinstance(d, Max):
        return max(evaluate_dim(a, env) for a in d.args)
    if isinstance(d, Min):
        return min(evaluate_dim(a, env) for a in d.args)
    raise TypeError(f"not a dimension: {d!r}")


def slice_dims(n, start, stop, step) -> tuple:
    """`(first, length)` of `range(*slice(start, stop, step).indices(n))` for an axis of
    symbolic length `n` and static `start`/`stop` (ints or None) and `step` (non-zero int or
    None): dimension expressions following NumPy's rules. `first` only matters when
    `length > 0`."""
    step = 1 if step is None else int(step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step > 0:
        lo = 0 if start is None else (dim_max(dim_add(n, start), 0) if start < 0
                                      else int(start))
        hi = n if stop is None else (dim_add(n, stop) if stop < 0 else dim_min(stop, n))
        span = dim_sub(hi, lo)
        # n - max(n+s, 0) == min(-s, n)
        if start is not None and start < 0 and (stop is None):
            span = dim_min(-start, n)
    else:
        lo = dim_sub(n, 1) if start is None else (dim_add(n, start) if start < 0
                                                  else dim_min(start, dim_sub(n, 1)))
        hi = -1 if stop is None else (dim_max(dim_add(n, stop), -1) if stop < 0
                                      else int(stop))
        span = dim_sub(lo, hi)
        if stop is not None and stop < 0 and start is None:
            span = dim_min(-stop - 1, n)        # n-1 - max(n+e, -1) == min(-e-1, n)
    a = abs(step)
    length = dim_max(dim_floordiv(dim_add(span, a - 1), a), 0)
    return lo, length


DimLike = Union[int, Dim, DynamicDim, DimExpr]


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


#: The dtype a list handle reports (`ListType.dtype`): lists are opaque 0-d values to generic
#: code (the interpreter keeps a Python object, codegen a pointer register).
LIST_HANDLE_DTYPE = np.dtype(object)


@dataclasses.dataclass(frozen=True)
class ListType:
    """The type of a growable list of arrays (TensorFlow's TensorList): a Python list appended
    to in a staged loop whose trip count is only known at run time (ir/ops/lists.py).

    A list value is an opaque handle: 0-d, not weak, dtype `LIST_HANDLE_DTYPE`, so generic
    code treats it like a scalar register (carried by `while_loop`, output of `cond`). Every
    element has type `element` (strong).

    Attributes:
      element: the `TensorType` of each element (weak=False).
    """

    element: TensorType

    dtype = LIST_HANDLE_DTYPE
    shape = ()
    weak = False
    ndim = 0
    is_static = True
    size = 1

    def __str__(self) -> str:
        return f"list<{self.element}>"


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
    # NumPy 2 compares two Python ints with an object loop (exact for any size); every Python
    # int flowjit takes fits int64, where the comparison is just as exact.
    return tuple(INT64 if d == np.dtype(object) else d for d in ufunc.resolve_dtypes(operands))


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
