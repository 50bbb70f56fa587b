"""Unit tests of `DimExpr` (ir/types.py): canonical forms, printing, evaluation, slice lengths,
broadcasting, and emission as LLVM i64 arithmetic (codegen/dims.py)."""

import ctypes
import itertools

import llvmlite.binding as llvm
import llvmlite.ir as ir
import numpy as np
import pytest

from flowjit.codegen.dims import emit_dim
from flowjit.ir import types as T

n, m = T.Dim("n"), T.Dim("m")


def test_canonical_forms_are_structurally_equal():
    assert n + 1 - 1 == n and isinstance(n + 1 - 1, T.Dim)
    assert n - n == 0 and isinstance(n - n, int)
    assert 2 * n == n + n == n * 2
    assert hash(2 * n) == hash(n + n)
    assert (3 * n) // 3 == n
    assert (2 * n + 2) // 4 == (n + 1) // 2
    assert (2 * n + 3) // 2 == n + 1
    assert n * m == m * n
    assert (n + 1) * (n - 1) == n * n - 1
    assert T.dim_max(n, 0) == n                     # a Dim is non-negative
    assert T.dim_max(n + 2, n) == n + 2
    assert T.dim_min(n + 2, n) == n
    assert T.dim_max(T.dim_max(n - 1, 0) - 1, 0) == T.dim_max(n - 2, 0)
    assert T.dim_max(n - 1, 0) != n - 1
    assert n + 1 != m + 1


def test_printing():
    assert str(n - 1) == "n-1"
    assert str(2 * n) == "2*n"
    assert str((n + 1) // 2) == "(n+1)//2"
    assert str(n * m + 3) == "m*n+3"
    assert str(-n + 2) == "-n+2"
    assert str(T.dim_max(n - 1, 0)) == "n-1"          # a length max(e, 0) prints as e
    assert str(2 * T.dim_max(n - 1, 0)) == "2*max(n-1,0)"
    assert str(T.TensorType(np.float32, (T.dim_max(n - 1, 0), 3))) == "float32[n-1,3]"


def test_evaluate():
    e = 2 * n + (n + 1) // 2 - m
    for a, b in itertools.product(range(6), range(6)):
        assert T.evaluate_dim(e, {n: a, m: b}) == 2 * a + (a + 1) // 2 - b
    assert T.evaluate_dim(T.dim_max(n - 3, 0), {n: 1}) == 0
    assert T.evaluate_dim(T.dim_min(n, 5), {n: 9}) == 5
    assert T.dim_atoms(e) == [n, m] or T.dim_atoms(e) == [m, n]


SLICES = [(1, None, None), (None, -1, None), (None, None, 2), (None, None, -1), (2, 5, None),
          (-3, None, None), (1, None, 3), (None, None, -2), (-1, -4, -1), (5, 1, -1),
          (None, 2, None), (-2, -1, None), (3, None, -1), (None, -3, -2), (0, 0, None)]


@pytest.mark.parametrize("s", SLICES, ids=str)
def test_slice_lengths_follow_numpy(s):
    first, length = T.slice_dims(n, *s)
    assert T.nonneg(length) or isinstance(length, T.DimExpr)
    for k in range(12):
        r = range(*slice(*s).indices(k))
        assert T.evaluate_dim(length, {n: k}) == len(r), (s, k)
        if len(r):
            assert T.evaluate_dim(first, {n: k}) == r[0], (s, k)


def test_broadcast_treats_expressions_like_dims():
    a = T.slice_dims(n, 1, None, None)[1]
    b = T.slice_dims(n, None, -1, None)[1]
    assert T.broadcast_shapes((a, 3), (b, 1)) == (a, 3)
    assert T.broadcast_shapes((2 * n,), (1,)) == (2 * n,)
    with pytest.raises(ValueError, match=r"n-1.*2\*n|2\*n.*n-1"):
        T.broadcast_shapes((a,), (2 * n,))


def _jit(fn_ir: ir.Module, name):
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    mod = llvm.parse_assembly(str(fn_ir))
    tm = llvm.Target.from_default_triple().create_target_machine()
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return engine, engine.get_function_address(name)


def test_codegen_emits_the_expression():
    exprs = [n - 1, 2 * n + m, (n + 1) // 2, (n - 5) // 3, T.dim_max(n - 3, 0),
             T.dim_min(n, m + 1), n * m - 2 * n, T.slice_dims(n, -1, -4, -1)[1]]
    mod = ir.Module("dims")
    i64 = ir.IntType(64)
    fn = ir.Function(mod, ir.FunctionType(i64, [i64, i64, i64]), name="f")
    b = ir.IRBuilder(fn.append_basic_block())
    leaf = {n: fn.args[0], m: fn.args[1]}
    blocks = []
    for k, e in enumerate(exprs):
        blk = fn.append_basic_block()
        blocks.append(blk)
    sw = b.switch(fn.args[2], blocks[0])
    for k, blk in enumerate(blocks):
        sw.add_case(ir.Constant(i64, k), blk)
        bb = ir.IRBuilder(blk)
        bb.ret(emit_dim(bb, exprs[k], leaf.__getitem__))
    engine, addr = _jit(mod, "f")
    f = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(addr)
    for k, e in enumerate(exprs):
        for a, c in itertools.product(range(0, 9), range(0, 4)):
            assert f(a, c, k) == T.evaluate_dim(e, {n: a, m: c}), (e, a, c)
