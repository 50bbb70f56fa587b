"""Call plans: the flat per-signature Python function that marshals NumPy values to native code.

A plan is generated once per (compiled function, concrete argument layout) as straight-line
Python source: unpack the leaves, convert only the leaves that need it (non-contiguous arrays,
Python ints), allocate the outputs with known shapes, call the trampoline, raise on a non-zero
status, copy mutated inputs back and rebuild the returned structure. Nothing is decided per call
that could be decided when the plan was made.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np

from ..ir import pytree
from ..ir.types import Dim, DynamicDim, TensorType, dim_atoms
from . import jit, trampoline
from .signature import KIND_ARRAY, concrete_shape

#: Scalar types passed without conversion when their in-place layout was verified.
_INLINE_TYPES = trampoline.INLINE_OFFSET

#: Python scalar types: converted to the NumPy scalar of the traced dtype on every call
#: (np.int64(2**70) raises OverflowError, as NumPy does for an out-of-range Python int).
_PY_SCALARS = (bool, int, float)


@dataclasses.dataclass
class CompiledTarget:
    """What a plan needs from a compiled function (a `ConcreteFunction`'s native half).

    Attributes:
      entry: address of the ABI entry point.
      input_types: the graph's input types (may hold `Dim`s).
      output_types: the graph's output types: returned leaves, then mutated inputs.
      num_outputs: how many outputs are returned leaves.
      out_treedef: rebuilds the returned structure.
      out_constants: returned leaves that are trace-time constants (None, strings), by their
        position among the returned leaves; the other leaves are the outputs, in order.
      mutated_inputs: input indices whose final values follow the returned leaves.
      dims: the symbolic dimensions in the ABI's order.
      print_sites: `CompiledGraph.print_sites` (set per call for `fj_print`).
      assert_messages: `CompiledGraph.assert_messages`.
    """

    entry: int
    input_types: tuple[TensorType, ...]
    output_types: tuple[TensorType, ...]
    num_outputs: int
    out_treedef: pytree.TreeDef
    mutated_inputs: tuple[int, ...]
    dims: tuple[Dim, ...]
    print_sites: Sequence[Any] = ()
    assert_messages: Sequence[Any] = ()
    out_constants: dict = dataclasses.field(default_factory=dict)


def _leaf_plan(value, t: TensorType):
    """`(mode, converter or None)` for one input leaf value of graph type `t`."""
    cls = type(value)
    if cls is np.ndarray and value.dtype == t.dtype and value.flags.c_contiguous:
        return trampoline.array_mode(), None
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        # Copy (strided view, other byte order, subclass) rather than ever misread memory.
        dtype = t.dtype
        return trampoline.array_mode(), lambda x: np.asarray(x, dtype=dtype, order="C")
    if cls in _INLINE_TYPES and np.dtype(cls) == t.dtype and cls not in (int, bool):
        return trampoline.MODE_INLINE, None
    scalar = t.dtype.type
    if scalar in _INLINE_TYPES:
        return trampoline.MODE_INLINE, scalar
    return trampoline.array_mode(), lambda x: np.asarray(x, dtype=t.dtype)


def _out_converter(t: TensorType) -> str:
    # API.md: "a 0-d result comes back as a NumPy scalar (as NumPy itself does)", a weak one
    # too (its example: `collatz_steps(np.int64(27)) -> np.int64(111)`): every result then has
    # the dtype NumPy gives the eager value (a Python int -> int64, float -> float64).
    return "{}" if t.shape else "{}[()]"


def make_plan(target: CompiledTarget, values: Sequence, dims: dict[Dim, int],
              raise_status: Callable[[int], None]) -> Callable[[Sequence], Any]:
    """Generate the call plan for leaves laid out like `values`.

    Args:
      target: the compiled function.
      values: one call's input leaves (only their classes, dtypes and layouts are used).
      dims: the values of the symbolic dimensions for this layout.
      raise_status: raises the exception for a non-zero status (reads the thread's err record).
    Returns:
      `plan(leaves) -> result`, for leaves with the same classes, dtypes, shapes and strides.
    """
    ns: dict[str, Any] = {"_empty": np.empty, "_STATE": jit.STATE, "_fail": raise_status,
                          "_copyto": np.copyto, "_unflatten": pytree.unflatten,
                          "_treedef": target.out_treedef}
    lines = ["def plan(leaves):"]
    n_in = len(target.input_types)
    names = [f"a{i}" for i in range(n_in)]
    if n_in:
        lines.append(f"    {', '.join(names)}{',' if n_in == 1 else ''} = leaves")
    modes = []
    passed = []
    for i, (value, t) in enumerate(zip(values, target.input_types)):
        mode, conv = _leaf_plan(value, t)
        modes.append(mode)
        arg = names[i]
        if conv is not None:
            ns[f"_c{i}"] = conv
            lines.append(f"    c{i} = _c{i}({arg})")
            arg = f"c{i}"
        if mode == trampoline.MODE_POINTER:
            lines.append(f"    p{i} = {arg}.__array_interface__['data'][0]")
            passed.append(f"p{i}")
        else:
            passed.append(arg)
    outs = []
    # Outputs whose shape holds a DynamicDim (data dependent) are allocated by native code
    # through `fj_alloc_output` once it knows their shape; their slot gets a placeholder.
    dynamic = {k: (t.ndim, t.dtype) for k, t in enumerate(target.output_types)
               if any(isinstance(a, DynamicDim) for d in t.shape for a in dim_atoms(d))}
    for k, t in enumerate(target.output_types):
        if k in dynamic:
            ns[f"_s{k}"] = np.empty(1, t.dtype)
            lines.append(f"    o{k} = _s{k}")
        else:
            ns[f"_s{k}"], ns[f"_d{k}"] = concrete_shape(t, dims), t.dtype
            lines.append(f"    o{k} = _empty(_s{k}, _d{k})")
        mode = trampoline.array_mode()
        modes.append(mode)
        if mode == trampoline.MODE_POINTER:
            lines.append(f"    q{k} = o{k}.__array_interface__['data'][0]")
            outs.append(f"q{k}")
        else:
            outs.append(f"o{k}")
    # Mutated inputs are checked before running, as eager assignment to a read-only array fails.
    copy_back = [(k, i) for k, i in enumerate(target.mutated_inputs, start=target.num_outputs)
                 if type(values[i]) is np.ndarray or isinstance(values[i], np.ndarray)]
    for _, i in copy_back:
        lines.append(f"    if not {names[i]}.flags.writeable: "
                     f"raise ValueError('assignment destination is read-only')")
    dim_values = [dims[d] for d in target.dims]
    if dim_values:
        import ctypes
        buf = (ctypes.c_int64 * len(dim_values))(*dim_values)
        ns["_dims_buf"], ns["_DIMS"] = buf, ctypes.addressof(buf)   # the plan keeps it alive
    ns["_tramp"] = trampoline.trampoline(target.entry, tuple(modes), bool(dim_values))
    tail = ["_DIMS"] if dim_values else []
    call = f"_tramp({', '.join(passed + outs + tail + ['_STATE.err_addr'])})"
    if target.print_sites or dynamic:
        # fj_print finds the sites of the call in progress through the thread's state, and
        # fj_alloc_output the types of the outputs it allocates.
        ns["_SITES"] = target.print_sites or None
        ns["_ATYPES"] = dynamic
        setup, teardown = [], []
        if target.print_sites:
            setup.append("    _STATE.print_sites = _SITES")
            teardown.append("        _STATE.print_sites = None")
        if dynamic:
            setup += ["    _saved = _STATE.alloc_types, _STATE.alloc_results",
                      "    _STATE.alloc_types, _STATE.alloc_results = _ATYPES, {}"]
            teardown += ["        _made = _STATE.alloc_results",
                         "        _STATE.alloc_types, _STATE.alloc_results = _saved"]
        lines += setup + ["    try:", f"        st = {call}", "    finally:"] + teardown + [
            "    if _STATE.callback_error is not None:",
            "        e, _STATE.callback_error = _STATE.callback_error, None",
            "        raise e"]
    else:
        lines.append(f"    st = {call}")
    lines.append("    if st: _fail(st)")
    for k in dynamic:
        lines.append(f"    o{k} = _made[{k}]")
    for k, i in copy_back:
        lines.append(f"    _copyto({names[i]}, o{k})")
    results = [_out_converter(t).format(f"o{k}")
               for k, t in enumerate(target.output_types[:target.num_outputs])]
    for pos in sorted(target.out_constants):
        ns[f"_k{pos}"] = target.out_constants[pos]
        results.insert(pos, f"_k{pos}")
    if target.out_treedef == pytree.LEAF:
        lines.append(f"    return {results[0]}")
    else:
        lines.append(f"    return _unflatten(_treedef, ({', '.join(results)}{',' if len(results) == 1 else ''}))")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<flowjit plan {hex(target.entry)}>", "exec"), ns)
    plan = ns["plan"]
    plan.source = source
    return plan
