"""`fj.function`: the decorator that turns a Python + NumPy function into a compiled `Function`."""

from __future__ import annotations

from typing import Callable, Sequence

from .runtime.function import Function


def function(fn: Callable | None = None, *, input_signature: Sequence | None = None,
             static_argnames: Sequence[str] | str = (), autograph: bool = True,
             fastmath: bool = False, boundscheck: bool = True, cache: bool = False):
    """Compile `fn` to native code, once per call signature (API.md, "Decorating").

    Usable bare (`@fj.function`) or with options (`@fj.function(static_argnames=("n",))`).

    Args:
      fn: a Python function using NumPy. Its arguments at call time may be NumPy arrays and
        scalars of bool/int32/int64/float32/float64, Python bool/int/float (traced as *weak*
        0-d values, NEP 50), and tuples/lists/dicts of these.
      input_signature: a sequence of `fj.TensorSpec` (nested as the arguments are), one per
        leading positional parameter; one trace then serves every matching call, `None` in a
        shape being any length. A call that does not match raises `TypeError` (dtype, structure)
        or `ValueError` (shape), naming the argument and both signatures.
      static_argnames: parameters that are Python values at trace time (a new trace per value;
        values must be hashable).
      autograph: rewrite control flow on traced values into graph ops (`if`, `while`, `for`).
      fastmath: allow LLVM's fast-math flags (reassociation, no NaN/inf); results may then differ
        from NumPy in the last bits, or more for NaN/inf.
      boundscheck: check indices at run time (an out-of-bounds index raises `IndexError`).
      cache: keep the object code on disk (`FLOWJIT_CACHE_DIR`, default `~/.cache/flowjit`) so
        a new process skips code generation for signatures it has seen.

    Returns:
      a `flowjit.Function` (or, without `fn`, a decorator making one), wrapping `fn` with
      `functools.update_wrapper`.

    Raises:
      TypeError: `fn` is not callable or `input_signature` holds something other than specs.
      ValueError: `static_argnames` names a parameter `fn` does not have.
    """
    options = dict(input_signature=input_signature, static_argnames=static_argnames,
                   autograph=autograph, fastmath=fastmath, boundscheck=boundscheck, cache=cache)
    if fn is None:
        return lambda f: Function(f, **options)
    return Function(fn, **options)
