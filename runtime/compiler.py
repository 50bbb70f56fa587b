"""One signature from Python to native code: trace, optimize, generate code, load (or reuse the
disk cache). Runs under `jit.COMPILE_LOCK`, called by `Function._compile`."""

from __future__ import annotations

import numpy as np

from .. import config
from ..ir import pytree
from . import errors, jit
from .signature import Signature, identifier


def _optimize(graph):
    # `ir.passes.optimize` may not exist yet in a partial checkout; then no passes run.
    try:
        from ..ir.passes import optimize
    except ImportError:
        return graph, []
    return optimize(graph)


def _is_traceable(x) -> bool:
    from ..ir.tracing import Tensor
    return isinstance(x, (Tensor, np.ndarray, np.generic, bool, int, float))


class _ReturnConstants:
    """Wraps the traced function so that returned leaves that are not values (None, strings,
    dtypes: trace-time constants) are kept aside and put back by the call plan: a function
    that only mutates its argument returns None, eagerly and compiled."""

    def __init__(self, fn):
        self.fn = fn
        self.treedef = None
        self.constants: dict[int, object] = {}

    def __call__(self, *args, **kwargs):
        result = self.fn(*args, **kwargs)
        leaves, treedef = pytree.flatten(result)
        if all(_is_traceable(x) for x in leaves):
            return result
        self.treedef = treedef
        self.constants = {i: x for i, x in enumerate(leaves) if not _is_traceable(x)}
        return tuple(x for x in leaves if _is_traceable(x))


def trace_signature(function, sig: Signature):
    """Trace `function` for `sig`; return `(TraceResult, out_treedef, out_constants)`.

    User errors are re-raised with flowjit's frames trimmed so the user's source line is what
    they see.
    """
    from ..ir.tracing import trace

    fn = _ReturnConstants(function._converted_function())
    binder = function._binder

    def build_args(tensors):
        return binder.rebuild(pytree.unflatten(sig.treedef, list(tensors)), sig.static)

    try:
        result = trace(fn, list(sig.types), build_args, name=function._name,
                       arg_names=[identifier(leaf.name) for leaf in sig.leaves])
    except Exception as e:
        raise errors.user_facing(e)
    if config.VERIFY:
        result.graph.verify()
    if fn.treedef is None:
        return result, result.out_treedef, {}
    return result, fn.treedef, fn.constants


def compile_function(function, sig: Signature):
    """The `ConcreteFunction` of `function` for `sig` (the caller holds the compile lock)."""
    from ..codegen import compile_graph
    from .function import ConcreteFunction

    result, out_treedef, out_constants = trace_signature(function, sig)
    outputs = (out_treedef, out_constants)
    graph, pass_log = _optimize(result.graph)
    options = function._options
    store = None
    if options["cache"]:
        from . import disk_cache
        store = disk_cache.Store(function.python_function, sig)
        hit = store.load(graph, (options["fastmath"], options["boundscheck"]))
        if hit is not None:
            compiled, entry = hit
            return ConcreteFunction(function._name, function._binder, sig, result, graph,
                                    pass_log, compiled, entry, outputs)
    compiled = compile_graph(graph, fastmath=options["fastmath"],
                             boundscheck=options["boundscheck"])
    if store is not None:
        # A name derived from the key: objects compiled by other processes must not clash with
        # this process's entry names in the one engine.
        name = store.entry_name()
        compiled.module.get_function(compiled.entry_name).name = name
        entry, obj = jit.load(compiled.module, name, capture=True)
        store.save(compiled, obj, name, entry)
    else:
        entry = jit.load(compiled.module, compiled.entry_name)
    return ConcreteFunction(function._name, function._binder, sig, result, graph, pass_log,
                            compiled, entry, outputs)
