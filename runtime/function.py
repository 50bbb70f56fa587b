"""`Function` (what `fj.function` returns) and `ConcreteFunction` (one compiled signature).

`Function.__call__` is the hot path: a key of the positional arguments' classes, dtypes, shapes
and strides finds a ready call plan in one dict lookup. On a miss, the slow path binds the call
to the parameters, computes its `Signature`, traces and compiles under the process-wide lock if
no `ConcreteFunction` serves it yet (Numba's dispatcher, TF's trace cache), and makes a plan.
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from .. import config as _config
from ..ir import builder as _builder
from ..ir import pytree
from . import call, errors, jit
from .signature import (Binder, Signature, TensorSpec, identifier, match, signature_of_call,
                        spec_signature)

_ndarray = np.ndarray
_trace_state = _builder._state   # `.frames` is non-empty while this thread traces

#: Classes whose plan key is the class alone (their dtype and shape follow from it).
_SCALAR_CLASSES = frozenset({bool, int, float, np.bool_, np.int32, np.int64, np.float32,
                             np.float64})

#: Bound on the plans kept per function (one per distinct argument layout).
_MAX_PLANS = 1024


def _plan_key(args) -> tuple:
    return tuple([(a.dtype, a.shape, a.strides) if a.__class__ is _ndarray else a.__class__
                  for a in args])


def _keyable(args) -> bool:
    """Whether `_plan_key` determines everything a plan depends on for these arguments."""
    return all(a.__class__ is _ndarray or a.__class__ in _SCALAR_CLASSES for a in args)


class ConcreteFunction:
    """One traced, optimized and compiled signature of a `Function`; callable.

    Attributes:
      graph: the optimized `flowjit.ir.Graph`.
      traced_graph: the graph as traced, before optimization.
      pass_log: one entry per optimizer pass (name, op counts before and after).
      llvm_ir: the optimized LLVM IR, as text.
      asm: the machine code, as assembly text.
      signature: the `Signature` it was compiled for (`str()` is readable).
      structured_outputs: the tree structure of the returned value.
    """

    def __init__(self, name: str, binder: Binder, signature: Signature, trace_result,
                 graph, pass_log, compiled, entry: int, outputs=None):
        self.name = name
        self._binder = binder
        self.signature = signature
        self.traced_graph = trace_result.graph
        self.graph = graph
        self.pass_log = list(pass_log)
        self.llvm_ir = getattr(compiled, "llvm_ir", "")
        out_treedef, out_constants = outputs or (trace_result.out_treedef, {})
        self.structured_outputs = out_treedef
        self._compiled = compiled
        outputs = graph.outputs
        self._target = call.CompiledTarget(
            entry=entry,
            input_types=tuple(v.type for v in graph.inputs),
            output_types=tuple(v.type for v in outputs),
            num_outputs=trace_result.num_outputs,
            out_treedef=out_treedef,
            out_constants=dict(out_constants),
            mutated_inputs=tuple(trace_result.mutated_inputs),
            dims=tuple(getattr(compiled, "dims", ())),
            print_sites=list(getattr(compiled, "print_sites", ()) or ()),
            assert_messages=list(getattr(compiled, "assert_messages", ()) or ()))
        self._raise_status = errors.status_raiser(self._target.assert_messages)
        self._plans: dict[tuple, Callable] = {}          # hot path: plan key -> plan
        self._layout_plans: dict[tuple, Callable] = {}   # (signature, layout) -> plan

    @property
    def asm(self) -> str:
        """The machine code as assembly text, generated on first access (printing assembly
        costs as much as a third of a compile, so the first call does not pay for it)."""
        return getattr(self._compiled, "asm", "")

    def plan_for(self, values: Sequence, call_sig: Signature, check: bool) -> Callable:
        """The call plan for leaves laid out like `values` (checked against the signature
        first when `check`, which also binds the symbolic dimensions). Plans are cached by
        the call's signature and layout, so even calls that miss the hot path (keyword
        arguments, containers) generate code only once."""
        layout = tuple((v.__class__, v.dtype, v.shape, v.strides) if isinstance(v, _ndarray)
                       else v.__class__ for v in values)
        key = (call_sig.key, layout)
        plan = self._layout_plans.get(key)
        if plan is None:
            dims = match(self.signature, values, call_sig, self.name) if check or \
                self.signature.dims else {}
            plan = call.make_plan(self._target, values, dims, self._raise_status)
            if len(self._layout_plans) >= _MAX_PLANS:
                self._layout_plans.clear()
            self._layout_plans[key] = plan
        return plan

    def __call__(self, *args, **kwargs):
        """Run the compiled code on arguments matching `signature`.

        Raises:
          TypeError / ValueError: arguments whose dtype / shape differ from the signature.
        """
        if not kwargs and self._binder.simple_positional:
            plan = self._plans.get(_plan_key(args)) if _keyable(args) else None
            if plan is not None:
                try:
                    return plan(args)
                except Exception as e:
                    raise errors.user_facing(e)
        try:
            sig, values, _ = signature_of_call(self._binder, args, kwargs)
            plan = self.plan_for(values, sig, check=True)
            if not kwargs and self._binder.simple_positional and _keyable(args) and \
                    len(values) == len(args):
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.clear()
                self._plans[_plan_key(args)] = plan
            return plan(values)
        except Exception as e:
            raise errors.user_facing(e)

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.name}{self.signature}>"


class Function:
    """A Python function compiled per signature; see `flowjit.function` for the options.

    Attributes:
      python_function: the undecorated Python function.
      trace_count: how many times it has been traced.
    """

    def __init__(self, fn: Callable, *, input_signature=None, static_argnames=(),
                 autograph: bool = True, fastmath: bool = False, boundscheck: bool = True,
                 cache: bool = False):
        if not callable(fn):
            raise TypeError(f"fj.function needs a function, got {type(fn).__name__}")
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self.python_function = fn
        self.trace_count = 0
        self._options = dict(autograph=autograph, fastmath=fastmath, boundscheck=boundscheck,
                             cache=cache)
        self._binder = Binder(fn, static_argnames)
        self._name = getattr(fn, "__name__", "function")
        self._input_signature = None if input_signature is None else list(input_signature)
        self._signature_cf: ConcreteFunction | None = None
        self._concrete: dict[Any, ConcreteFunction] = {}
        self._plans: dict[tuple, Callable] = {}      # plan key -> plan
        self._plans1: dict[Any, Callable] = {}       # for one-argument calls: leaf key -> plan
        self._kplans: dict[tuple, tuple] = {}         # keyword/static calls: key -> (gather, plan)
        self._converted = None
        self._bound: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # per instance
        # The hot path skips binding when the call is positional leaves only.
        self._fast = self._binder.simple_positional
        if self._input_signature is not None:
            self._input_spec_signature()   # validate it now, not at the first call
        functools.update_wrapper(self, fn)

    # -- hot path --------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if not kwargs and self._fast and not _config._RUN_EAGERLY and not _trace_state.frames:
            if len(args) == 1:
                # The commonest case, without building a tuple of keys.
                a = args[0]
                plan = self._plans1.get((a.dtype, a.shape, a.strides) if a.__class__ is _ndarray
                                        else a.__class__)
            elif len(args) == 2:
                a, b = args
                plan = self._plans.get((
                    (a.dtype, a.shape, a.strides) if a.__class__ is _ndarray else a.__class__,
                    (b.dtype, b.shape, b.strides) if b.__class__ is _ndarray else b.__class__))
            else:
                plan = self._plans.get(_plan_key(args))
            if plan is not None:
                try:
                    return plan(args)
                except Exception as e:
                    # Native errors are raised by the plan; cut the traceback at the user call.
                    raise errors.user_facing(e)
        elif self._kplans and not _config._RUN_EAGERLY and not _trace_state.frames:
            # Keyword or static arguments: a longer key, then the leaves in parameter order.
            try:
                hit = self._kplans.get(self._general_key(args, kwargs))
            except TypeError:            # an unhashable static value: the slow path says so
                hit = None
            if hit is not None:
                gather, plan = hit
                try:
                    return plan([args[i] if i.__class__ is int else kwargs[i] for i in gather])
                except Exception as e:
                    raise errors.user_facing(e)
        try:
            return self._call_slow(args, kwargs)
        except Exception as e:
            raise errors.user_facing(e)

    def _store_plan(self, args, plan) -> None:
        plans = self._plans1 if len(args) == 1 else self._plans
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plans[_plan_key(args)[0] if len(args) == 1 else _plan_key(args)] = plan

    def _general_key(self, args, kwargs):
        """The plan key of a call whose arguments are all leaves or static values (by
        parameter), or None. Static values are keyed with their type (`1 == 1.0 == True`)."""
        binder = self._binder
        names = binder.positional_names
        if len(args) > len(names):
            return None
        parts = []
        for name, a in itertools.chain(zip(names, args), kwargs.items()):
            if name in binder.static_set:
                parts.append((a.__class__, a))
            elif a.__class__ is _ndarray:
                parts.append((a.dtype, a.shape, a.strides))
            elif a.__class__ in _SCALAR_CLASSES:
                parts.append(a.__class__)
            else:
                return None
        return len(args), tuple(kwargs), tuple(parts)

    def _store_general(self, args, kwargs, traced, plan) -> None:
        key = self._general_key(args, kwargs)
        names = self._binder.positional_names
        if key is None or any(k not in self._binder.sig.parameters for k in kwargs):
            return
        position = {n: i for i, n in enumerate(names[:len(args)])}
        gather = tuple(position.get(name, name) for name in traced)
        if len(self._kplans) >= _MAX_PLANS:
            self._kplans.clear()
        self._kplans[key] = (gather, plan)

    def _call_slow(self, args, kwargs):
        if _config.functions_run_eagerly():
            return self.python_function(*args, **kwargs)
        if _builder.in_trace():
            # Called from a function being traced: trace into the caller's graph.
            return self._converted_function()(*args, **kwargs)
        sig, values, traced = signature_of_call(self._binder, args, kwargs)
        if self._input_signature is not None:
            cf = self._signature_function()
            plan = cf.plan_for(values, sig, check=True)
        else:
            cf = self._concrete.get(sig.key) or self._compile(sig)
            plan = cf.plan_for(values, sig, check=False)
        if self._fast and not kwargs and len(values) == len(args) and _keyable(args):
            self._store_plan(args, plan)
        elif self._binder.sig is not None and len(values) == len(traced):
            self._store_general(args, kwargs, traced, plan)
        return plan(values)

    # -- tracing and compiling -------------------------------------------------------------

    def _converted_function(self) -> Callable:
        if self._converted is None:
            fn = self.python_function
            if self._options["autograph"]:
                convert = _autograph_convert()
                if convert is not None:
                    fn = convert(fn)
            self._converted = fn
        return self._converted

    def _input_spec_signature(self) -> Signature:
        specs = self._input_signature
        params = [n for n in self._binder.positional_names
                  if n not in self._binder.static_set]
        if len(specs) > len(params):
            raise TypeError(f"{self._name}: input_signature has {len(specs)} entries but the "
                            f"function has {len(params)} positional parameters {params}")
        leaves, _ = pytree.flatten(specs)
        bad = [x for x in leaves if not isinstance(x, TensorSpec)]
        if bad:
            raise TypeError(f"{self._name}: input_signature must hold fj.TensorSpec objects "
                            f"(in tuples/lists/dicts), got {bad[0]!r}")
        return spec_signature(self._binder, dict(zip(params, specs)))

    def _signature_function(self) -> ConcreteFunction:
        cf = self._signature_cf
        if cf is None:
            sig = self._input_spec_signature()
            cf = self._signature_cf = self._concrete.get(sig.key) or self._compile(sig)
        return cf

    def _compile(self, sig: Signature) -> ConcreteFunction:
        """Trace, optimize and compile for `sig` (under the compile lock, re-checking the
        cache inside it: another thread may have compiled the same signature meanwhile)."""
        from . import compiler
        with jit.COMPILE_LOCK:
            cf = self._concrete.get(sig.key)
            if cf is not None:
                return cf
            cf = compiler.compile_function(self, sig)
            self.trace_count += 1
            self._concrete[sig.key] = cf
            return cf

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The `ConcreteFunction` for arguments given as values and/or `fj.TensorSpec`s
        (tracing and compiling it if needed). With no arguments and an `input_signature`,
        the function for that signature.

        Raises:
          TypeError: an unsupported argument, or arguments that do not fit the parameters.
        """
        if self._input_signature is not None and not args and not kwargs:
            return self._signature_function()
        traced, static = self._binder.bind(args, kwargs)
        sig = spec_signature(self._binder, traced, static)
        if self._input_signature is not None:
            cf = self._signature_function()
            values, _ = pytree.flatten(traced)
            match(cf.signature, values, sig, self._name)
            return cf
        return self._concrete.get(sig.key) or self._compile(sig)

    # -- conveniences ----------------------------------------------------------------------

    @property
    def input_signature(self):
        return None if self._input_signature is None else tuple(self._input_signature)

    def __get__(self, obj, objtype=None):
        """Decorating a method: `obj.method` is a `Function` of the bound method, one per
        instance (the instance's attributes are read at trace time, like static values)."""
        if obj is None:
            return self
        try:
            bound = self._bound.get(obj)
        except TypeError:                      # unhashable instance: no per-instance cache
            bound = None
        if bound is None:
            bound = Function(self.python_function.__get__(obj, objtype),
                             input_signature=self._input_signature,
                             static_argnames=self._binder.static_argnames, **self._options)
            try:
                self._bound[obj] = bound
            except TypeError:
                pass
        return bound

    def __repr__(self) -> str:
        return f"<flowjit.Function {self._name}>"


@functools.cache
def _autograph_convert():
    """`flowjit.autograph.convert`, or None while AutoGraph is not available."""
    try:
        from ..autograph import convert
    except ImportError:
        return None
    return convert


__all__ = ["Function", "ConcreteFunction", "TensorSpec", "identifier"]
