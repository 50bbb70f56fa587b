"""End to end: fj.function traced, compiled and run, against eager Python + NumPy."""

import os
import subprocess
import sys
import textwrap
import threading
import traceback

import numpy as np
import pytest

import flowjit as fj
from flowjit.ir.ops.effects import print_   # what AutoGraph turns `print(...)` into

from fjtest.differential import assert_same_as_eager, assert_same_value

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]


# -- differential ------------------------------------------------------------------------------

def add_one(x):
    return x + 1


def axpy(a, x, y):
    return a * x + y


def mixed(x, y):
    return x * y - x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (0,)])
def test_add_one_every_dtype_and_shape(dtype, shape):
    assert_same_as_eager(add_one, np.ones(shape, dtype))


@pytest.mark.parametrize("x", [np.float32(1.5), np.int32(7), np.int64(-3), np.float64(2.0),
                               np.True_, 3, 2.5, True])
def test_scalar_arguments(x):
    assert_same_as_eager(add_one, x)


@pytest.mark.parametrize("a", [2.0, 3, np.float32(2), np.float64(2), np.int32(2)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.float64])
def test_weak_python_scalars_follow_nep50(a, dtype):
    x = np.arange(4).astype(dtype)
    assert_same_as_eager(axpy, a, x, x)


def test_all_weak_arithmetic_returns_numpy_scalars_of_pythons_dtype():
    f = assert_same_as_eager(mixed, 3, 4)
    assert type(f(3, 4)) is np.int64
    assert type(f(2.5, 4)) is np.float64


def test_float32_result_of_weak_float_argument_stays_float32():
    out = fj.function(mixed)(np.float32(2), 3.0)
    assert type(out) is np.float32


def test_zero_d_results_are_numpy_scalars():
    f = fj.function(lambda x: x.sum())
    out = f(np.arange(4.0))
    assert type(out) is np.float64 and out == 6.0


def returns_structures(x, y):
    return {"sum": x + y, "pair": (x * 2, [y - 1, x.sum()])}


def test_returned_structures_are_rebuilt():
    assert_same_as_eager(returns_structures, np.arange(3.0), np.ones(3))


def takes_structures(p, xs):
    return p["w"] * xs[0] + p["b"] - xs[1]


def test_argument_structures():
    assert_same_as_eager(takes_structures, {"w": np.float32(2), "b": 1.0},
                         [np.arange(3, dtype=np.float32), np.ones(3, np.float32)])


def keywords(x, *, scale=2.0, shift=0):
    return x * scale + shift


def test_keyword_arguments_and_defaults():
    f = assert_same_as_eager(keywords, np.arange(3.0), shift=1)
    assert_same_as_eager(keywords, np.arange(3.0), compiled=f, scale=np.float32(3))
    assert_same_as_eager(keywords, np.arange(3.0), compiled=f)


def returns_tuple_of_one(x):
    return (x,)


def test_single_element_tuple_and_empty_results():
    assert_same_as_eager(returns_tuple_of_one, np.arange(2.0))
    assert_same_as_eager(lambda x: (), np.arange(2.0))


# -- arrays in, arrays out ---------------------------------------------------------------------

def test_non_contiguous_and_read_only_inputs_are_never_misread():
    f = fj.function(add_one)
    base = np.arange(24.0).reshape(4, 6)
    for view in (base[:, ::2], base.T, base[::-1], base[1:3, 2:5]):
        np.testing.assert_array_equal(f(view), view + 1)
    ro = np.arange(3.0)
    ro.flags.writeable = False
    np.testing.assert_array_equal(f(ro), ro + 1)
    fortran = np.asfortranarray(base)
    np.testing.assert_array_equal(f(fortran), fortran + 1)


def set_first(a, v):
    a[0] = v
    return a.sum()


def test_mutated_arguments_are_updated_like_eager():
    assert_same_as_eager(set_first, np.zeros(3), 5.0)
    f = fj.function(set_first)
    base = np.zeros(6)
    f(base[::2], 1.0)      # a strided view of the caller's array
    np.testing.assert_array_equal(base, [1, 0, 0, 0, 0, 0])
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        f(ro, 1.0)


def fill(a, v):
    a[1] = v


def describe(x):
    return {"kind": "vector", "dtype": x.dtype, "value": x * 2, "none": None}


def test_non_value_results_are_trace_time_constants():
    f = assert_same_as_eager(fill, np.zeros(3), 2.0)
    assert f(np.zeros(3), 1.0) is None
    out = fj.function(describe)(np.arange(2.0))
    assert out["kind"] == "vector" and out["dtype"] == np.float64 and out["none"] is None
    np.testing.assert_array_equal(out["value"], [0.0, 2.0])
    assert list(out) == ["kind", "dtype", "value", "none"]


def test_outputs_are_fresh_arrays():
    f = fj.function(add_one)
    x = np.arange(3.0)
    a, b = f(x), f(x)
    assert a is not b and not np.shares_memory(a, b) and not np.shares_memory(a, x)


# -- tracing and caching -----------------------------------------------------------------------

def test_trace_once_per_signature():
    f = fj.function(add_one)
    f(np.zeros(3))
    f(np.ones(3))
    assert f.trace_count == 1
    f(np.zeros(4))
    f(np.zeros(3, np.float32))
    f(np.zeros((3, 1)))
    assert f.trace_count == 4
    f(np.zeros(6)[::2])            # a different layout reuses the trace
    assert f.trace_count == 4
    f(1.0), f(2.0), f(3)
    assert f.trace_count == 6      # Python float and Python int: one trace each


def test_static_argnames_trace_per_value():
    def scale(x, mode):
        if mode == "double":       # a Python condition on a static value: decided at trace time
            return x * 2
        return x + 1

    f = fj.function(scale, static_argnames=("mode",))
    x = np.arange(4.0)
    np.testing.assert_array_equal(f(x, "double"), x * 2)
    np.testing.assert_array_equal(f(x, mode="double"), x * 2)
    assert f.trace_count == 1
    np.testing.assert_array_equal(f(x, "inc"), x + 1)
    assert f.trace_count == 2
    assert f.get_concrete_function(x, "double").graph.op_counts() == {"multiply": 1}
    with pytest.raises(TypeError, match="static argument 'mode' must be hashable"):
        f(x, ["double"])


def shifted(x, k, *, scale=1.0, mode="add"):
    return x * scale + k if mode == "add" else x * scale - k


def test_keyword_and_static_calls_reuse_plans_correctly():
    f = fj.function(shifted, static_argnames=("mode",))
    x = np.arange(3.0)
    for _ in range(3):   # the second and third rounds take the keyed hot path
        np.testing.assert_array_equal(f(x, 1.0, scale=2.0), x * 2 + 1)
        np.testing.assert_array_equal(f(x, k=1.0, mode="sub"), x - 1)
        np.testing.assert_array_equal(f(k=2.0, x=x, mode="sub"), x - 2)
        np.testing.assert_array_equal(f(x, 1, scale=np.float32(3)), x * 3 + 1)
        np.testing.assert_array_equal(f(x[::2], 1.0, scale=2.0), x[::2] * 2 + 1)
        np.testing.assert_array_equal(f(x, 1.0, mode="add"), x + 1)
    assert f.trace_count == 5      # keyword order does not matter: f(k=2.0, x=x) reuses one
    with pytest.raises(TypeError, match="hashable"):
        f(x, 1.0, mode=["add"])


class Scaler:
    def __init__(self, w):
        self.w = w

    @fj.function
    def apply(self, x):
        return x * self.w


def test_methods_trace_per_instance():
    a, b = Scaler(2.0), Scaler(3.0)
    x = np.arange(3.0)
    np.testing.assert_array_equal(a.apply(x), x * 2)
    np.testing.assert_array_equal(b.apply(x), x * 3)
    assert a.apply is a.apply and a.apply.trace_count == 1
    assert isinstance(Scaler.apply, fj.Function)


def test_concurrent_first_calls_trace_once():
    f = fj.function(add_one)
    x = np.arange(100.0)
    results, barrier = [], threading.Barrier(8)

    def work():
        barrier.wait()
        results.append(f(x))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert f.trace_count == 1 and len(results) == 8
    for r in results:
        np.testing.assert_array_equal(r, x + 1)


def test_run_functions_eagerly():
    calls = []

    def f(x):
        calls.append(type(x))
        return x + 1

    g = fj.function(f)
    fj.config.run_functions_eagerly(True)
    try:
        out = g(np.arange(2.0))
    finally:
        fj.config.run_functions_eagerly(False)
    assert calls == [np.ndarray] and g.trace_count == 0
    np.testing.assert_array_equal(out, [1.0, 2.0])
    g(np.arange(2.0))
    assert g.trace_count == 1 and calls[-1] is not np.ndarray


def test_function_called_while_tracing_is_inlined():
    inner = fj.function(lambda x: x * 2)
    outer = fj.function(lambda x: inner(x) + 1)
    np.testing.assert_array_equal(outer(np.arange(3.0)), np.arange(3.0) * 2 + 1)
    assert inner.trace_count == 0
    assert outer.get_concrete_function(np.arange(3.0)).traced_graph.op_counts() == {
        "multiply": 1, "add": 1}


def test_decorator_forms_and_wrapping():
    @fj.function
    def a(x):
        """Doc of a."""
        return x

    @fj.function(boundscheck=False)
    def b(x):
        return x

    assert isinstance(a, fj.Function) and isinstance(b, fj.Function)
    assert a.__name__ == "a" and a.__doc__ == "Doc of a." and a.python_function.__name__ == "a"


def dot_plus(x, y):
    return (x * y).sum() + x[0]


def test_codegen_options_reach_the_compiler():
    x = np.arange(4.0)
    fast = fj.function(dot_plus, fastmath=True).get_concrete_function(x, x)
    strict = fj.function(dot_plus).get_concrete_function(x, x)
    assert " fast " in fast.llvm_ir and " fast " not in strict.llvm_ir
    plain = fj.function(dot_plus, autograph=False)
    assert plain(x, x) == dot_plus(x, x)
    unchecked = fj.function(lambda x, i: x[i] * 2, boundscheck=False)
    assert unchecked(x, 1) == 2.0


# -- input_signature and concrete functions ----------------------------------------------------

def test_input_signature_one_trace_for_all_lengths():
    f = fj.function(add_one, input_signature=[fj.TensorSpec((None,), np.float64)])
    for n in (0, 1, 5, 100):
        np.testing.assert_array_equal(f(np.arange(float(n))), np.arange(float(n)) + 1)
    assert f.trace_count == 1
    assert "float64[s0]" in str(f.get_concrete_function().graph)


def test_input_signature_mismatches_name_argument_and_signatures():
    f = fj.function(axpy, input_signature=[fj.TensorSpec((), np.float32),
                                           fj.TensorSpec(("n",), np.float32),
                                           fj.TensorSpec(("n",), np.float32)])
    x = np.ones(3, np.float32)
    assert f(np.float32(2), x, x).dtype == np.float32
    assert f(2.0, x, x).dtype == np.float32           # a Python float fits a float32 spec
    with pytest.raises(TypeError, match=r"(?s)argument 'x' has dtype float64.*expected:.*got:"):
        f(np.float32(2), np.ones(3), x)
    with pytest.raises(ValueError, match=r"argument 'y' has length 4.*dimension n is already 3"):
        f(np.float32(2), x, np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"argument 'x' has shape \(3, 1\)"):
        f(np.float32(2), x[:, None], x)
    assert f.trace_count == 1


def test_input_signature_validated_at_decoration():
    with pytest.raises(TypeError, match="TensorSpec"):
        fj.function(add_one, input_signature=[np.zeros(3)])
    with pytest.raises(TypeError, match="2 entries"):
        fj.function(add_one, input_signature=[fj.TensorSpec((), np.float32)] * 2)


def test_get_concrete_function_with_specs_and_values():
    f = fj.function(axpy)
    cf = f.get_concrete_function(2.0, fj.TensorSpec(("n",), np.float32),
                                 fj.TensorSpec(("n",), np.float32))
    assert isinstance(cf, fj.ConcreteFunction) and f.trace_count == 1
    out = cf(2.0, np.ones(3, np.float32), np.ones(3, np.float32))
    np.testing.assert_array_equal(out, np.full(3, 3.0, np.float32))
    with pytest.raises(ValueError, match="argument 'y'"):
        cf(2.0, np.ones(3, np.float32), np.ones(4, np.float32))
    with pytest.raises(TypeError, match="argument 'x'"):
        cf(2.0, np.ones(3), np.ones(3, np.float32))
    assert str(cf.signature) == "(a: float64[] (Python scalar), x: float32[n], y: float32[n])"
    assert f.get_concrete_function(2.0, fj.TensorSpec(("n",), np.float32),
                                   fj.TensorSpec(("n",), np.float32)) is cf
    np.testing.assert_array_equal(cf(1.0, np.ones(5, np.float32), np.ones(5, np.float32)),
                                  np.full(5, 2.0, np.float32))
    assert f.trace_count == 1


def test_concrete_function_introspection():
    f = fj.function(lambda x: np.exp(-x * x) * 2 + 1)
    cf = f.get_concrete_function(np.zeros(8, np.float32))
    assert cf.traced_graph.op_counts().get("exp") == 1
    assert sum(cf.graph.op_counts().values()) <= sum(cf.traced_graph.op_counts().values())
    assert all({"pass", "before", "after"} <= set(entry) for entry in cf.pass_log)
    assert "define" in cf.llvm_ir and "ret i32" in cf.llvm_ir
    assert cf.asm.strip() and ("ret" in cf.asm)
    np.testing.assert_allclose(cf(np.ones(8, np.float32)), np.exp(-1.0) * 2 + 1, rtol=1e-6)


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, pattern", [
    ("text", r"argument 'x' is a str"), (None, r"argument 'x' is None"),
    (np.zeros(2, np.float16), r"argument 'x'.*float16"),
    (np.array([object()]), r"argument 'x'.*object"),
    (np.zeros(2, np.complex64), r"argument 'x'.*complex"),
])
def test_unsupported_arguments(bad, pattern):
    with pytest.raises(TypeError, match=pattern):
        fj.function(add_one)(bad)


def test_index_error_from_native_code():
    def take(x, i):
        return x[i]

    f = assert_same_as_eager(take, np.arange(3.0), 5)
    assert_same_as_eager(take, np.arange(3.0), -4, compiled=f)
    assert_same_as_eager(take, np.arange(3.0), -1, compiled=f)
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        f(np.arange(3.0), 5)


def test_native_error_traceback_is_cut_at_the_user_call():
    f = fj.function(lambda x, i: x[i])
    f(np.arange(3.0), 0)
    try:
        f(np.arange(3.0), 7)
    except IndexError as e:
        files = [fr.filename for fr in traceback.extract_tb(e.__traceback__)]
    assert not any("<flowjit plan" in name for name in files)
    internal = [n for n in files if os.sep.join(("flowjit", "runtime")) in n]
    assert len(internal) <= 1, files     # at most the Function.__call__ frame


def raises_while_tracing(x):
    y = x + 1
    return y @ np.ones((5, 5))      # shapes (3,) and (5, 5) do not match   # USER-LINE


def test_trace_error_shows_the_user_line_and_hides_internals():
    with pytest.raises(ValueError) as info:
        fj.function(raises_while_tracing)(np.zeros(3))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any("# USER-LINE" in (fr.line or "") or fr.name == "raises_while_tracing"
               for fr in frames)
    internal = [fr for fr in frames if os.sep + "ir" + os.sep in fr.filename
                or os.sep + "runtime" + os.sep + "compiler" in fr.filename]
    assert not internal, internal


def test_assert_and_python_zero_division():
    from flowjit.ir.ops.effects import assert_

    def checked(x):
        assert_(x.sum() > 0, "sum must be positive")
        return x * 2

    f = fj.function(checked)
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
    with pytest.raises(AssertionError, match="sum must be positive"):
        f(-np.ones(2))
    assert_same_as_eager(lambda a, b: a // b, 7, 0)
    assert_same_as_eager(lambda a, b: a // b, 7, 2)


# -- printing ----------------------------------------------------------------------------------

def prints(x, n, flag):
    print_("x:", x, "n:", n, "sum:", x.sum(), "flag:", flag)
    print_((x[0], [n]), x.dtype, sep="|", end="!\n")
    return x


@pytest.mark.parametrize("dtype", DTYPES)
def test_print_text_matches_eager(dtype):
    x = (np.arange(4) * 0.1 + 1e-5).astype(dtype) if dtype in (np.float32, np.float64) else \
        np.arange(4).astype(dtype)
    f = assert_same_as_eager(prints, x, 3, True)
    assert_same_as_eager(prints, x, np.int64(3), np.False_, compiled=f)


def test_print_runs_at_every_call_in_order(capsys):
    f = fj.function(prints)
    for n in range(3):
        f(np.arange(2.0), n, n > 1)
    out = capsys.readouterr().out
    assert out.count("x:") == 3 and out.index("n: 0") < out.index("n: 1") < out.index("n: 2")


# -- disk cache --------------------------------------------------------------------------------

CACHE_SCRIPT = textwrap.dedent("""
    import numpy as np, flowjit as fj
    from flowjit.runtime import disk_cache

    @fj.function(cache=True)
    def cached(x, y):
        return np.sqrt(x * x + y * y)

    out = cached(np.arange(4.0), np.ones(4))
    np.testing.assert_allclose(out, np.sqrt(np.arange(4.0) ** 2 + 1))
    cf = cached.get_concrete_function(np.arange(4.0), np.ones(4))
    print("HIT" if "fj_cached_" in cf._compiled.entry_name and not hasattr(cf._compiled,
          "module") else "MISS", bool(cf.llvm_ir))
""")


def test_disk_cache_roundtrip(tmp_path):
    cache = tmp_path / "cache"
    script = tmp_path / "uses_cache.py"     # AutoGraph needs the source in a file
    script.write_text(CACHE_SCRIPT)
    env = dict(os.environ, FLOWJIT_CACHE_DIR=str(cache))
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    runs = [subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert runs[0].stdout.split() == ["MISS", "True"]
    assert runs[1].stdout.split() == ["HIT", "True"]
    assert len(list(cache.glob("cached-*.fjc"))) == 1


def test_assert_same_value_helper_catches_dtype_and_kind():
    with pytest.raises(AssertionError):
        assert_same_value(np.float32(1), np.float64(1))
    with pytest.raises(AssertionError):
        assert_same_value(np.array([1.0]), np.float64(1))
    with pytest.raises(AssertionError):
        assert_same_value(np.int64(1), 1.0)
    assert_same_value(np.float64(1), 1.0)  # a Python float comes back as a NumPy float64
