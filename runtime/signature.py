"""Call signatures: which argument leaves are traced, their types, static values; TensorSpec.

A call's *signature* decides whether an existing trace can serve it (API.md, "Decorating"): the
pytree structure of the traced arguments, per leaf its `TensorType` (dtype, shape, and *weak* for
Python scalars, NEP 50), and the values of the static arguments. The `kind` of a leaf (array,
NumPy scalar, Python scalar) does not change the graph, only how the runtime passes the leaf.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections import OrderedDict
from typing import Any, Iterable, Sequence

import numpy as np

from ..ir import pytree
from ..ir import types as T
from ..ir.types import Dim, TensorType

KIND_ARRAY = "array"
KIND_NUMPY_SCALAR = "numpy_scalar"
KIND_PYTHON_SCALAR = "python_scalar"

#: Python scalar type -> the dtype of the weak 0-d value it is traced as (NEP 50).
PYTHON_SCALAR_DTYPES = {bool: T.BOOL, int: T.INT64, float: T.FLOAT64}

_SUPPORTED_NAMES = ", ".join(d.name for d in T.SUPPORTED_DTYPES)
_WHAT_TO_PASS = (f"pass a NumPy array or NumPy scalar of {_SUPPORTED_NAMES}, a Python "
                 "bool/int/float, or a tuple/list/dict of these")


# ---------------------------------------------------------------------------------------------
# TensorSpec


@dataclasses.dataclass(frozen=True, init=False)
class TensorSpec:
    """The type of one array argument in an `input_signature` or `get_concrete_function` call.

    Args:
      shape: a sequence whose entries are non-negative ints (a fixed length), `None` (any
        length: a symbolic dimension of its own) or a `Dim`/`str` (a named symbolic dimension;
        every axis with the same name must have the same length in a call).
      dtype: one of bool, int32, int64, float32, float64 (anything `np.dtype` accepts).
      name: optional, shown in messages.

    Raises:
      TypeError: for an unsupported dtype or a shape entry of another type.
      ValueError: for a negative length.
    """

    shape: tuple
    dtype: np.dtype
    name: str | None = None

    def __init__(self, shape, dtype, name: str | None = None):
        dims = []
        for d in (shape if isinstance(shape, (tuple, list)) else (shape,)):
            if isinstance(d, str):
                d = Dim(d)
            elif isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
                if d < 0:
                    raise ValueError(f"TensorSpec shape {tuple(shape)} has a negative length")
                d = int(d)
            elif d is not None and not isinstance(d, Dim):
                raise TypeError(f"TensorSpec shape entries are ints, None or names; got {d!r}")
            dims.append(d)
        object.__setattr__(self, "shape", tuple(dims))
        object.__setattr__(self, "dtype", T.check_dtype(dtype, "TensorSpec"))
        object.__setattr__(self, "name", name)

    @classmethod
    def from_value(cls, x, name: str | None = None) -> "TensorSpec":
        """The spec of an array or scalar (its exact shape and dtype)."""
        arr = np.asarray(x)
        return cls(arr.shape, arr.dtype, name)

    def __str__(self) -> str:
        dims = ",".join("None" if d is None else str(d) for d in self.shape)
        return f"{self.dtype.name}[{dims}]"

    def __repr__(self) -> str:
        shape = "(" + ", ".join(repr(d) if d is None or isinstance(d, int) else repr(str(d))
                                for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        name = f", name={self.name!r}" if self.name else ""
        return f"TensorSpec(shape={shape}, dtype={self.dtype.name}{name})"


def specs_to_types(specs: Sequence[TensorSpec]) -> list[TensorType]:
    """Types for a list of specs: each `None` becomes a fresh `Dim` named `s0`, `s1`, ...
    (skipping names the user chose), named dims stay shared."""
    taken = {d.name for s in specs for d in s.shape if isinstance(d, Dim)}
    counter = iter(range(1 << 30))

    def fresh() -> Dim:
        while True:
            name = f"s{next(counter)}"
            if name not in taken:
                return Dim(name)

    return [TensorType(s.dtype, tuple(fresh() if d is None else d for d in s.shape))
            for s in specs]


# ---------------------------------------------------------------------------------------------
# Leaves: classification and errors


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One traced argument leaf: its user-facing name, how it is passed, and its type."""

    name: str
    kind: str
    type: TensorType

    def __str__(self) -> str:
        weak = " (Python scalar)" if self.type.weak else ""
        return f"{self.name}: {self.type}{weak}"


def _unsupported(value, name: str) -> TypeError:
    # One message per family of mistakes, each saying what to pass instead.
    if value is None:
        return TypeError(f"argument {name!r} is None, but flowjit needs a value to trace; "
                         f"{_WHAT_TO_PASS} (or give the parameter a default and omit it, or "
                         f"list it in static_argnames).")
    if isinstance(value, (str, bytes)):
        return TypeError(f"argument {name!r} is a {type(value).__name__} ({value!r:.40}), which "
                         f"compiled code cannot take; list it in static_argnames if it is a "
                         f"setting, or {_WHAT_TO_PASS}.")
    if isinstance(value, (np.ndarray, np.generic)):
        dt = value.dtype
        hint = {"c": "complex numbers are not supported; pass the real and imaginary parts "
                     "as two float64 arrays",
                "O": "object arrays are not supported; build a numeric array with "
                     "np.asarray(..., dtype=np.float64)",
                "U": "strings are not supported; list it in static_argnames if it is a setting",
                "S": "bytes are not supported",
                "f": "convert it with .astype(np.float32) or .astype(np.float64)",
                "i": "convert it with .astype(np.int64)",
                "u": "convert it with .astype(np.int64)"}.get(dt.kind, "")
        what = "an array" if isinstance(value, np.ndarray) else "a NumPy scalar"
        return TypeError(f"argument {name!r} is {what} of dtype {dt}, which flowjit does not "
                         f"compile; use one of {_SUPPORTED_NAMES}" + (f" ({hint})." if hint
                                                                     else "."))
    if isinstance(value, complex):
        return TypeError(f"argument {name!r} is a Python complex, which flowjit does not "
                         f"compile; pass the real and imaginary parts as two floats.")
    return TypeError(f"argument {name!r} of type {type(value).__name__} cannot be passed to a "
                     f"compiled function; {_WHAT_TO_PASS}.")


def classify(value, name: str) -> Leaf:
    """The `Leaf` of one argument value.

    Raises:
      TypeError: naming the argument, for anything flowjit does not compile (strings, None,
        object/complex/float16 arrays, other objects).
    """
    if isinstance(value, np.ndarray):
        dt = value.dtype
        if dt.byteorder == ">" or (dt.byteorder == "<" and not dt.isnative):
            dt = dt.newbyteorder("=")
        if dt not in T.SUPPORTED_DTYPES:
            raise _unsupported(value, name)
        return Leaf(name, KIND_ARRAY, TensorType(dt, value.shape))
    if isinstance(value, np.generic):
        # Checked before Python scalars: np.float64 is a subclass of float but is strong.
        if value.dtype not in T.SUPPORTED_DTYPES:
            raise _unsupported(value, name)
        return Leaf(name, KIND_NUMPY_SCALAR, TensorType(value.dtype, ()))
    for pytype, dtype in PYTHON_SCALAR_DTYPES.items():   # bool before int: bool subclasses int
        if isinstance(value, pytype):
            return Leaf(name, KIND_PYTHON_SCALAR, TensorType(dtype, (), weak=True))
    raise _unsupported(value, name)


def leaf_paths(tree, prefix: str) -> list[str]:
    """User-facing names of the leaves of `tree`, in `ir.pytree.flatten` order:
    `x`, `xs[0]`, `params['w']`."""
    out: list[str] = []

    def rec(x, path):
        if isinstance(x, dict):
            for k in tuple(x):
                rec(x[k], f"{path}[{k!r}]")
        elif isinstance(x, (tuple, list)):
            for i, c in enumerate(x):
                rec(c, f"{path}[{i}]")
        else:
            out.append(path)

    rec(tree, prefix)
    return out


def identifier(path: str) -> str:
    """A graph-printable name for a leaf path: `params['w']` -> `params_w`."""
    return re.sub(r"_+", "_", re.sub(r"\W", "_", path)).strip("_") or "arg"


# ---------------------------------------------------------------------------------------------
# Signatures


@dataclasses.dataclass(frozen=True)
class Signature:
    """What a trace was made for, and what a call must match to reuse it.

    Attributes:
      treedef: structure of the traced arguments (a dict parameter name -> argument tree).
      leaves: one `Leaf` per traced leaf, in flattened order.
      static: `(name, value)` of each static argument, in parameter order.
    """

    treedef: pytree.TreeDef
    leaves: tuple[Leaf, ...]
    static: tuple[tuple[str, Any], ...] = ()

    @property
    def types(self) -> tuple[TensorType, ...]:
        return tuple(leaf.type for leaf in self.leaves)

    @property
    def key(self):
        """Hashable: equal for calls that one trace serves. Static values are keyed with their
        type, since `1 == 1.0 == True` in Python but each traces differently."""
        return (self.treedef, self.types,
                tuple((n, type(v), v) for n, v in self.static))

    @property
    def dims(self) -> tuple[Dim, ...]:
        """The symbolic dimensions, in order of first appearance."""
        seen: dict[Dim, None] = {}
        for t in self.types:
            for d in t.shape:
                if isinstance(d, Dim):
                    seen.setdefault(d)
        return tuple(seen)

    def __str__(self) -> str:
        parts = [str(leaf) for leaf in self.leaves]
        parts += [f"{n}={v!r} (static)" for n, v in self.static]
        return "(" + ", ".join(parts) + ")"


def check_static(name: str, value) -> None:
    """Raise `TypeError` if a static argument's value cannot key a cache."""
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"static argument {name!r} must be hashable (it keys the trace "
                        f"cache), but got {type(value).__name__}; pass a tuple instead of a "
                        f"list, or pass it as a traced argument.") from None


class Binder:
    """Binds a call's `(args, kwargs)` to the Python function's parameters.

    Splits them into the traced tree (a dict parameter name -> value, in parameter order,
    parameters left to their defaults omitted, so defaults stay Python values at trace time)
    and the static `(name, value)` pairs, and rebuilds `(args, kwargs)` for the function.
    """

    def __init__(self, fn, static_argnames: Iterable[str] = ()):
        self.fn_name = getattr(fn, "__qualname__", getattr(fn, "__name__", "function"))
        try:
            self.sig = inspect.signature(fn)
        except (TypeError, ValueError):
            self.sig = None
        self.static_argnames = tuple(static_argnames)
        if self.sig is not None:
            unknown = [n for n in self.static_argnames if n not in self.sig.parameters]
            if unknown:
                raise ValueError(f"static_argnames {unknown} are not parameters of "
                                 f"{self.fn_name}{self.sig}")
            self.params = list(self.sig.parameters.values())
        else:
            self.params = []
        self.static_set = frozenset(self.static_argnames)
        #: Fast path eligibility: only plain positional parameters, none static.
        self.simple_positional = self.sig is not None and not self.static_set and all(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in self.params)
        self.positional_names = tuple(p.name for p in self.params
                                      if p.kind in (p.POSITIONAL_ONLY,
                                                    p.POSITIONAL_OR_KEYWORD))

    def bind(self, args: tuple, kwargs: dict):
        """`(traced: dict name -> value, static: tuple of (name, value))`.

        Raises:
          TypeError: Python's own message for a call that does not fit the parameters, or
            an unhashable static value.
        """
        if self.sig is None:
            traced = {f"args[{i}]": a for i, a in enumerate(args)}
            traced.update(kwargs)
            return traced, ()
        try:
            bound = self.sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.fn_name}(): {e}") from None
        traced: dict[str, Any] = {}
        static: list[tuple[str, Any]] = []
        for name, value in bound.arguments.items():
            if name in self.static_set:
                check_static(name, value)
                static.append((name, value))
            else:
                traced[name] = value
        return traced, tuple(static)

    def rebuild(self, traced: dict, static: Sequence[tuple[str, Any]]):
        """`(args, kwargs)` for the Python function from the traced dict and static pairs."""
        if self.sig is None:
            n = sum(1 for k in traced if k.startswith("args["))
            return tuple(traced[f"args[{i}]"] for i in range(n)), {
                k: v for k, v in traced.items() if not k.startswith("args[")}
        merged = dict(traced)
        merged.update(static)
        arguments = OrderedDict((p.name, merged[p.name]) for p in self.params
                                if p.name in merged)
        bound = inspect.BoundArguments(self.sig, arguments)
        return bound.args, bound.kwargs


def signature_of_call(binder: Binder, args: tuple, kwargs: dict):
    """`(signature, leaf values, traced dict)` of one call.

    Raises:
      TypeError: naming the argument, for an unsupported value.
    """
    traced, static = binder.bind(args, kwargs)
    values, treedef = pytree.flatten(traced)
    names = leaf_paths_of_params(traced)
    leaves = tuple(classify(v, n) for v, n in zip(values, names))
    return Signature(treedef, leaves, static), values, traced


def leaf_paths_of_params(traced: dict) -> list[str]:
    """Leaf names for a dict parameter name -> argument tree."""
    names: list[str] = []
    for pname, value in traced.items():
        names.extend(leaf_paths(value, pname))
    return names


# ---------------------------------------------------------------------------------------------
# input_signature / ConcreteFunction matching


def spec_signature(binder: Binder, specs_tree: dict, static=()) -> Signature:
    """The `Signature` for a dict parameter name -> tree of `TensorSpec`s (or values).

    Leaves that are values rather than specs are classified as in a call.
    """
    leaves_in, treedef = pytree.flatten(specs_tree)
    names = leaf_paths_of_params(specs_tree)
    spec_idx = [i for i, x in enumerate(leaves_in) if isinstance(x, TensorSpec)]
    spec_types = specs_to_types([leaves_in[i] for i in spec_idx])
    typed = dict(zip(spec_idx, spec_types))
    leaves = tuple(Leaf(n, KIND_ARRAY, typed[i]) if i in typed else classify(x, n)
                   for i, (x, n) in enumerate(zip(leaves_in, names)))
    return Signature(treedef, leaves, tuple(static))


def _python_scalar_fits(value, dtype: np.dtype) -> bool:
    # A Python scalar may stand for a 0-d spec of a dtype that holds it exactly as NumPy
    # would convert it (TF converts Python values to the signature's dtype the same way).
    if isinstance(value, bool):
        return dtype == T.BOOL
    if isinstance(value, int):
        if dtype.kind == "i":
            info = np.iinfo(dtype)
            return info.min <= value <= info.max
        return dtype.kind == "f"
    if isinstance(value, float):
        return dtype.kind == "f"
    return False


def match(sig: Signature, values: Sequence, call_sig: Signature, what: str) -> dict[Dim, int]:
    """Check a call against a declared signature; return the values of its `Dim`s.

    Args:
      sig: the declared signature (an `input_signature`, or a ConcreteFunction's).
      values: the call's leaf values; `call_sig` is the call's own signature.
      what: the function's name, for messages.

    Raises:
      TypeError: different argument structure, a different dtype, or a strong/weak mismatch.
      ValueError: a different rank or length, or one named dimension bound to two lengths.
    """
    both = f"\n  expected: {sig}\n  got:      {call_sig}"
    if sig.treedef != call_sig.treedef or sig.static != call_sig.static:
        raise TypeError(f"{what}: the arguments do not have the structure of the signature "
                        f"the function was compiled for; pass arguments of this structure "
                        f"or call the Function without input_signature.{both}")
    bound: dict[Dim, int] = {}
    for want, got, value in zip(sig.leaves, call_sig.leaves, values):
        wt, gt = want.type, got.type
        if gt.weak and not wt.weak:
            ok_dtype = gt.ndim == 0 and _python_scalar_fits(value, wt.dtype)
        else:
            ok_dtype = wt.dtype == gt.dtype and wt.weak == gt.weak
        if not ok_dtype:
            raise TypeError(f"{what}: argument {got.name!r} has dtype {gt.dtype.name}"
                            f"{' (Python scalar)' if gt.weak else ''}, but the signature "
                            f"expects {wt}{' (Python scalar)' if wt.weak else ''}; convert it "
                            f"with .astype(np.{wt.dtype.name}).{both}")
        if len(wt.shape) != len(gt.shape):
            raise ValueError(f"{what}: argument {got.name!r} has shape {gt.shape} "
                             f"({gt.ndim}-d), but the signature expects {wt.ndim}-d {wt}.{both}")
        for axis, (w, g) in enumerate(zip(wt.shape, gt.shape)):
            if isinstance(w, Dim):
                if bound.setdefault(w, g) != g:
                    raise ValueError(
                        f"{what}: argument {got.name!r} has length {g} on axis {axis}, but "
                        f"dimension {w} is already {bound[w]} in this call (the signature "
                        f"uses {w} for both).{both}")
            elif w != g:
                raise ValueError(f"{what}: argument {got.name!r} has shape {gt.shape}, but "
                                 f"the signature expects {wt}.{both}")
    return bound


def bind_dims(types: Sequence[TensorType], shapes: Sequence[tuple]) -> dict[Dim, int]:
    """The value of every `Dim` in `types` given the actual `shapes` (checked to agree).

    Raises:
      ValueError: one `Dim` bound to two different lengths.
    """
    bound: dict[Dim, int] = {}
    for t, shape in zip(types, shapes):
        for d, n in zip(t.shape, shape):
            if isinstance(d, Dim) and bound.setdefault(d, n) != n:
                raise ValueError(f"dimension {d} is {bound[d]} in one argument and {n} in "
                                 f"another; they must be equal")
    return bound


def concrete_shape(t: TensorType, dims: dict[Dim, int]) -> tuple[int, ...]:
    """`t.shape` with every `Dim` replaced by its bound value."""
    from ..ir.types import evaluate_dim
    return tuple(d if isinstance(d, int) else dims[d] if isinstance(d, Dim)
                 else evaluate_dim(d, dims) for d in t.shape)
