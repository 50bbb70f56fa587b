"""The JIT engine, trampolines, call plans and the print callback, on hand-written entries."""

import threading

import numpy as np
import pytest

from flowjit.ir import pytree
from flowjit.ir.ops.effects import Slot
from flowjit.ir.types import Dim, TensorType
from flowjit.runtime import call, jit, trampoline

import fj_native


def target(entry, ins, outs, *, num_outputs=None, treedef=pytree.LEAF, mutated=(), dims=(),
           print_sites=()):
    return call.CompiledTarget(entry=entry, input_types=tuple(ins), output_types=tuple(outs),
                               num_outputs=len(outs) if num_outputs is None else num_outputs,
                               out_treedef=treedef, mutated_inputs=tuple(mutated),
                               dims=tuple(dims), print_sites=print_sites)


def never(status):
    raise AssertionError(f"unexpected status {status}")


F64 = np.dtype(np.float64)


# -- engine ------------------------------------------------------------------------------------

def test_load_returns_address_and_rejects_unknown_names():
    addr = fj_native.map_entry(F64, 1, "{r} = fadd double {a0}, 1.0")
    assert addr
    with pytest.raises(RuntimeError, match="no function 'missing'"):
        jit.load_ir(f'target triple = "{jit.TRIPLE}"\ndefine void @present() {{\n ret void\n}}\n',
                    "missing")


def test_layout_checks_found_the_fast_paths():
    # A default CPython build: arrays and scalars are read in place by the trampoline.
    assert trampoline.ARRAY_DATA_OFFSET == object.__basicsize__
    assert {float, np.float64, np.float32, np.int64, np.int32, np.bool_} <= set(
        trampoline.INLINE_OFFSET)


# -- plans -------------------------------------------------------------------------------------

def add_one_plan(n=3, dtype=F64):
    entry = fj_native.map_entry(dtype, n, "{r} = fadd double {a0}, 1.0")
    t = TensorType(dtype, (n,))
    tgt = target(entry, [t], [t])
    return lambda values: call.make_plan(tgt, values, {}, never)


def test_plan_contiguous_array():
    x = np.array([1.0, 2.0, 3.0])
    plan = add_one_plan()([x])
    out = plan([x])
    np.testing.assert_array_equal(out, x + 1)
    assert out.dtype == F64 and out.shape == (3,)


def test_plan_non_contiguous_input_is_copied_not_misread():
    base = np.arange(6.0)
    view = base[::2]
    plan = add_one_plan()([view])
    np.testing.assert_array_equal(plan([view]), view + 1)
    rev = np.arange(3.0)[::-1]
    np.testing.assert_array_equal(add_one_plan()([rev])([rev]), rev + 1)


def test_plan_read_only_and_big_endian_inputs():
    x = np.array([1.0, 2.0, 3.0])
    x.flags.writeable = False
    np.testing.assert_array_equal(add_one_plan()([x])([x]), x + 1)
    be = np.array([1.0, 2.0, 3.0], dtype=">f8")
    np.testing.assert_array_equal(add_one_plan()([be])([be]), be + 1)


@pytest.mark.parametrize("value", [2.5, np.float64(2.5), np.array(2.5), 7, True])
def test_plan_zero_d_leaves_of_every_kind(value):
    entry = fj_native.map_entry(F64, 1, "{r} = fadd double {a0}, 1.0")
    t0 = TensorType(F64, ())
    tgt = target(entry, [t0], [t0])
    if isinstance(value, (bool, int)):
        # a Python int traced as float64 (an input_signature float spec)
        pass
    plan = call.make_plan(tgt, [value], {}, never)
    out = plan([value])
    assert out == float(value) + 1
    assert type(out) is np.float64          # strong 0-d output -> NumPy scalar


def test_plan_weak_output_is_a_numpy_scalar():
    entry = fj_native.map_entry(np.int64, 1, "{r} = add i64 {a0}, 1")
    t = TensorType(np.int64, (), weak=True)
    plan = call.make_plan(target(entry, [t], [t]), [5], {}, never)
    out = plan([41])
    assert out == 42 and type(out) is np.int64
    with pytest.raises(OverflowError):
        plan([2 ** 70])


def test_plan_float32_scalar_inline():
    entry = fj_native.map_entry(np.float32, 1, "{r} = fmul float {a0}, 2.0")
    t = TensorType(np.float32, ())
    plan = call.make_plan(target(entry, [t], [t]), [np.float32(1)], {}, never)
    out = plan([np.float32(1.25)])
    assert out == np.float32(2.5) and type(out) is np.float32


def test_plan_symbolic_dims_shape_outputs():
    n = Dim("n")
    entry = fj_native.map_entry(F64, None, "{r} = fmul double {a0}, 3.0", count_from_dims=True)
    t = TensorType(F64, (n,))
    tgt = target(entry, [t], [t], dims=[n])
    x = np.arange(5.0)
    out = call.make_plan(tgt, [x], {n: 5}, never)([x])
    np.testing.assert_array_equal(out, x * 3)


def test_plan_rebuilds_structures():
    entry = fj_native.map_entry(F64, 2, "{r} = fadd double {a0}, 1.0", n_out=3)
    t = TensorType(F64, (2,))
    treedef = pytree.flatten({"a": 0, "b": [0, 0]})[1]
    tgt = target(entry, [t], [t, t, t], treedef=treedef)
    x = np.zeros(2)
    out = call.make_plan(tgt, [x], {}, never)([x])
    assert set(out) == {"a", "b"} and isinstance(out["b"], list) and len(out["b"]) == 2
    np.testing.assert_array_equal(out["b"][1], x + 1)


def test_plan_copies_mutated_inputs_back():
    # output 0 is returned, output 1 is the final value of input 0 (a[...] = a + 1 eagerly).
    entry = fj_native.map_entry(F64, 3, "{r} = fadd double {a0}, 1.0", n_out=2)
    t = TensorType(F64, (3,))
    tgt = target(entry, [t], [t, t], num_outputs=1, mutated=[0])
    x = np.zeros(3)
    plan = call.make_plan(tgt, [x], {}, never)
    plan([x])
    np.testing.assert_array_equal(x, [1.0, 1.0, 1.0])
    base = np.zeros(6)
    view = base[::2]
    call.make_plan(tgt, [view], {}, never)([view])
    np.testing.assert_array_equal(base, [1, 0, 1, 0, 1, 0])   # strided caller array updated
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        call.make_plan(tgt, [ro], {}, never)([ro])


def test_plan_status_raises_through_the_raiser():
    entry = fj_native.status_entry(1, (5, 0, 3, 0))
    t = TensorType(F64, (3,))

    def fail(status):
        err = list(jit.STATE.err)
        raise IndexError(f"index {err[0]} is out of bounds for axis {err[1]} with size {err[2]}")

    x = np.zeros(3)
    plan = call.make_plan(target(entry, [t], [t]), [x], {}, fail)
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        plan([x])


def test_plans_run_concurrently_from_threads():
    entry = fj_native.map_entry(F64, 1000, "{r} = fadd double {a0}, 1.0")
    t = TensorType(F64, (1000,))
    x = np.arange(1000.0)
    plan = call.make_plan(target(entry, [t], [t]), [x], {}, never)
    failures = []

    def work():
        for _ in range(200):
            if not np.array_equal(plan([x]), x + 1):
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures


# -- print callback ----------------------------------------------------------------------------

PRINT_CASES = [
    # (values as the eager code has them, template builder)
    (np.float32(0.1), np.float64(1e16)),
    (np.int64(-3), np.int32(7), np.True_),
    (1.5, 2, True),                                  # weak values print as Python scalars
    (np.array([1.5, 2.0]), np.array([1e-5, 1.0])),
    (np.array([[1, 2], [3, 4]], np.int32), np.array([True, False])),
    (np.float64(-0.0), np.array([], np.float32)),
]


def _types_and_dims(values):
    types, dim_values, ndims = [], [], []
    for k, v in enumerate(values):
        arr = np.asarray(v)
        weak = isinstance(v, (bool, int, float)) and not isinstance(v, np.generic)
        shape = tuple(Dim(f"d{k}_{a}") for a in range(arr.ndim))
        types.append(TensorType(arr.dtype, shape, weak=weak))
        dim_values.extend(arr.shape)
        ndims.append(arr.ndim)
    return types, dim_values, ndims


@pytest.mark.parametrize("values", PRINT_CASES)
def test_print_text_matches_eager(values, capsys):
    types, dim_values, ndims = _types_and_dims(values)
    entry = fj_native.print_entry(len(values), ndims)
    dims = [d for t in types for d in t.shape]
    template0 = ("values:",) + tuple(Slot(k) for k in range(len(values)))
    template1 = ((Slot(0), [Slot(len(values) - 1)]),)          # tuples and lists print reprs
    sites = [{"template": template0, "sep": " ", "end": "\n", "types": types},
             {"template": template1, "sep": "|", "end": "!\n", "types": types}]
    tgt = target(entry, types, [], treedef=pytree.flatten(())[1], dims=dims, print_sites=sites)
    leaves = list(values)
    plan = call.make_plan(tgt, leaves, dict(zip(dims, dim_values)), never)
    plan(leaves)
    compiled_text = capsys.readouterr().out
    print("values:", *values)
    print((values[0], [values[-1]]), sep="|", end="!\n")
    assert compiled_text == capsys.readouterr().out


def test_print_callback_errors_are_raised_after_the_call():
    types, dim_values, ndims = _types_and_dims([np.float64(1.0)])
    entry = fj_native.print_entry(1, ndims)

    class Boom:
        def __str__(self):
            raise RuntimeError("boom in __str__")

    sites = [{"template": (Boom(),), "sep": " ", "end": "\n", "types": types}] * 2
    tgt = target(entry, types, [], treedef=pytree.flatten(())[1], print_sites=sites)
    plan = call.make_plan(tgt, [np.float64(1.0)], {}, never)
    with pytest.raises(RuntimeError, match="boom"):
        plan([np.float64(1.0)])
    assert jit.STATE.callback_error is None and jit.STATE.print_sites is None
