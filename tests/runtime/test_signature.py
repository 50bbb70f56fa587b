"""Signature keys, argument classification and errors, TensorSpec matching (no compiling)."""

import re

import numpy as np
import pytest

from flowjit.ir.types import Dim, TensorType
from flowjit.runtime import signature as S
from flowjit.runtime.signature import Binder, TensorSpec


def sig_of(fn, *args, static=(), **kwargs):
    return S.signature_of_call(Binder(fn, static), args, kwargs)[0]


def f1(x):
    return x


def f2(x, y):
    return x


# -- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64])
def test_arrays_and_numpy_scalars_are_strong(dtype):
    leaf = S.classify(np.zeros((2, 3), dtype), "x")
    assert leaf == S.Leaf("x", S.KIND_ARRAY, TensorType(np.dtype(dtype), (2, 3)))
    leaf = S.classify(np.dtype(dtype).type(1), "x")
    assert leaf.kind == S.KIND_NUMPY_SCALAR
    assert leaf.type == TensorType(np.dtype(dtype), ())


@pytest.mark.parametrize("value, dtype", [(True, np.bool_), (3, np.int64), (2.5, np.float64)])
def test_python_scalars_are_weak(value, dtype):
    leaf = S.classify(value, "n")
    assert leaf.kind == S.KIND_PYTHON_SCALAR
    assert leaf.type == TensorType(np.dtype(dtype), (), weak=True)


def test_numpy_float64_is_strong_although_it_subclasses_float():
    assert not S.classify(np.float64(1.0), "x").type.weak


def test_big_endian_array_is_classified_by_its_native_dtype():
    x = np.arange(3, dtype=">f8")
    assert S.classify(x, "x").type.dtype == np.dtype(np.float64)


@pytest.mark.parametrize("value, pattern", [
    ("hello", r"argument 'x' is a str .*static_argnames"),
    (None, r"argument 'x' is None"),
    (np.array([1, "a"], dtype=object), r"argument 'x' is an array of dtype object.*np.asarray"),
    (np.zeros(3, np.float16), r"dtype float16.*astype\(np.float32\)"),
    (np.zeros(3, np.complex128), r"dtype complex128.*complex numbers"),
    (np.float16(1), r"NumPy scalar of dtype float16"),
    (1 + 2j, r"Python complex"),
    (np.zeros(3, np.uint8), r"dtype uint8.*astype\(np.int64\)"),
    ({1, 2}, r"argument 'x' of type set"),
    (object(), r"argument 'x' of type object"),
])
def test_unsupported_arguments_raise_type_error_naming_them(value, pattern):
    with pytest.raises(TypeError, match=pattern):
        sig_of(f1, value)


def test_error_names_the_leaf_inside_a_container():
    with pytest.raises(TypeError) as info:
        S.signature_of_call(Binder(lambda params: params), ({"w": "oops"},), {})
    assert "params['w']" in str(info.value)
    with pytest.raises(TypeError, match=re.escape("xs[1]")):
        S.signature_of_call(Binder(lambda xs: xs), ([np.zeros(2), None],), {})


def test_every_supported_dtype_message_lists_what_to_pass():
    with pytest.raises(TypeError) as info:
        sig_of(f1, "s")
    for name in ("bool", "int32", "int64", "float32", "float64"):
        assert name in str(info.value)


# -- keys --------------------------------------------------------------------------------------

def test_key_equal_for_same_dtype_and_shape_whatever_the_values():
    a = sig_of(f1, np.zeros(3, np.float32))
    b = sig_of(f1, np.ones(3, np.float32))
    assert a.key == b.key


@pytest.mark.parametrize("other", [
    np.zeros(4, np.float32), np.zeros(3, np.float64), np.zeros((3, 1), np.float32),
    np.float32(0), 0.0])
def test_key_differs_on_dtype_shape_and_weakness(other):
    assert sig_of(f1, np.zeros(3, np.float32)).key != sig_of(f1, other).key


def test_python_int_and_numpy_int64_trace_differently():
    assert sig_of(f1, 3).key != sig_of(f1, np.int64(3)).key
    assert sig_of(f1, 3).key == sig_of(f1, 4).key


def test_zero_d_array_and_numpy_scalar_share_a_trace():
    assert sig_of(f1, np.array(1.0)).key == sig_of(f1, np.float64(2.0)).key


def test_structure_is_part_of_the_key():
    x = np.zeros(2)
    keys = {sig_of(f1, (x, x)).key, sig_of(f1, [x, x]).key, sig_of(f1, {"a": x, "b": x}).key,
            sig_of(f1, {"b": x, "a": x}).key, sig_of(f1, (x,)).key}
    assert len(keys) == 5


def test_static_values_are_keyed_with_their_type():
    def g(x, n):
        return x
    x = np.zeros(2)
    keys = {sig_of(g, x, v, static=("n",)).key for v in (1, 1.0, True, 2)}
    assert len(keys) == 4
    assert sig_of(g, x, 1, static=("n",)).key == sig_of(g, x, n=1, static=("n",)).key


def test_unhashable_static_value_raises_type_error():
    def g(x, n):
        return x
    with pytest.raises(TypeError, match=r"static argument 'n' must be hashable.*list"):
        sig_of(g, np.zeros(2), [1, 2], static=("n",))


def test_unknown_static_argname_raises_value_error():
    with pytest.raises(ValueError, match=r"static_argnames \['m'\]"):
        Binder(f1, ("m",))


# -- binding -----------------------------------------------------------------------------------

def test_binder_roundtrip_with_keywords_defaults_varargs():
    def g(a, b=2, *rest, c, d=4, **kw):
        return a, b, rest, c, d, kw
    binder = Binder(g, ("c",))
    traced, static = binder.bind((1, 5, 6, 7), {"c": "mode", "z": 9})
    assert static == (("c", "mode"),)
    assert "d" not in traced          # defaults stay Python values, not traced
    args, kwargs = binder.rebuild(traced, static)
    assert g(*args, **kwargs) == g(1, 5, 6, 7, c="mode", z=9)


def test_binder_keyword_for_positional_parameter_after_default():
    def g(a, b=1, c=2):
        return a, b, c
    binder = Binder(g)
    traced, static = binder.bind((10,), {"c": 30})
    args, kwargs = binder.rebuild(traced, static)
    assert g(*args, **kwargs) == (10, 1, 30)


def test_binder_reports_python_call_errors():
    with pytest.raises(TypeError, match=r"f2\(\): missing a required argument: 'y'"):
        Binder(f2).bind((1,), {})


def test_leaf_names():
    sig = sig_of(f2, [np.zeros(1), {"k": 1.0}], y=np.zeros(2))
    assert [leaf.name for leaf in sig.leaves] == ["x[0]", "x[1]['k']", "y"]
    assert S.identifier("x[1]['k']") == "x_1_k"


# -- TensorSpec --------------------------------------------------------------------------------

def test_tensor_spec_normalizes_shape_and_dtype():
    spec = TensorSpec([None, 3], "float32")
    assert spec.shape == (None, 3) and spec.dtype == np.dtype(np.float32)
    assert str(spec) == "float32[None,3]"
    assert TensorSpec(5, np.int64).shape == (5,)
    assert TensorSpec(("n", 2), np.int64).shape == (Dim("n"), 2)
    assert TensorSpec.from_value(np.zeros((2, 3), np.int32)) == TensorSpec((2, 3), np.int32)


def test_tensor_spec_rejects_bad_input():
    with pytest.raises(TypeError, match="float16"):
        TensorSpec((3,), np.float16)
    with pytest.raises(ValueError, match="negative"):
        TensorSpec((-1,), np.float32)
    with pytest.raises(TypeError, match="ints, None or names"):
        TensorSpec((1.5,), np.float32)


def test_none_dims_become_distinct_named_dims_and_names_are_shared():
    types = S.specs_to_types([TensorSpec((None, "n"), np.float32),
                              TensorSpec((None, "n"), np.float32)])
    (a0, n0), (a1, n1) = types[0].shape, types[1].shape
    assert isinstance(a0, Dim) and isinstance(a1, Dim) and a0 != a1
    assert n0 == n1 == Dim("n")


def test_auto_dim_names_avoid_user_names():
    types = S.specs_to_types([TensorSpec(("s0", None), np.float32)])
    assert types[0].shape[0] != types[0].shape[1]


# -- matching ----------------------------------------------------------------------------------

def declared(*specs):
    binder = Binder(lambda *a: a)
    return binder, S.spec_signature(binder, {"a": tuple(specs)})


def call(binder, *args):
    sig, values, _ = S.signature_of_call(binder, args, {})
    return sig, values


def test_match_binds_dims():
    binder, decl = declared(TensorSpec((None, 3), np.float32), TensorSpec(("n",), np.int64),
                            TensorSpec(("n",), np.int64))
    sig, values = call(binder, np.zeros((5, 3), np.float32), np.zeros(2, np.int64),
                       np.zeros(2, np.int64))
    dims = S.match(decl, values, sig, "f")
    assert sorted(dims.values()) == [2, 5]


def test_match_dtype_mismatch_is_type_error_with_both_signatures():
    binder, decl = declared(TensorSpec((None,), np.float32))
    sig, values = call(binder, np.zeros(3, np.float64))
    with pytest.raises(TypeError) as info:
        S.match(decl, values, sig, "f")
    msg = str(info.value)
    assert "'a[0]'" in msg and "float64" in msg and "float32[s0]" in msg
    assert "expected:" in msg and "got:" in msg


def test_match_shape_mismatch_is_value_error():
    binder, decl = declared(TensorSpec((None, 3), np.float32))
    sig, values = call(binder, np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'a\[0\]' has shape \(2, 4\).*float32\[s0,3\]"):
        S.match(decl, values, sig, "f")
    sig, values = call(binder, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"1-d.*expects 2-d"):
        S.match(decl, values, sig, "f")


def test_match_shared_dim_must_agree():
    binder, decl = declared(TensorSpec(("n",), np.float64), TensorSpec(("n",), np.float64))
    sig, values = call(binder, np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"dimension n is already 2"):
        S.match(decl, values, sig, "f")


def test_match_structure_mismatch_is_type_error():
    binder, decl = declared(TensorSpec((2,), np.float64))
    sig, values = call(binder, np.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="structure"):
        S.match(decl, values, sig, "f")


@pytest.mark.parametrize("value, dtype, ok", [
    (1.5, np.float32, True), (1.5, np.float64, True), (3, np.float64, True),
    (3, np.int32, True), (2 ** 40, np.int32, False), (True, np.bool_, True),
    (1.5, np.int64, False), (True, np.int64, False), (3, np.bool_, False)])
def test_python_scalar_against_a_strong_spec(value, dtype, ok):
    binder, decl = declared(TensorSpec((), dtype))
    sig, values = call(binder, value)
    if ok:
        assert S.match(decl, values, sig, "f") == {}
    else:
        with pytest.raises(TypeError):
            S.match(decl, values, sig, "f")


def test_bind_dims_and_concrete_shape():
    n = Dim("n")
    types = [TensorType(np.float32, (n, 3)), TensorType(np.float32, (n,))]
    dims = S.bind_dims(types, [(4, 3), (4,)])
    assert dims == {n: 4}
    assert S.concrete_shape(TensorType(np.float32, (2, n)), dims) == (2, 4)
    with pytest.raises(ValueError):
        S.bind_dims(types, [(4, 3), (5,)])
