"""The optimized IR of elementwise loops and reductions is vectorized, and no fast-math
reassociation sneaks in by default."""

import re

import numpy as np
import pytest

from codegen_support import Native, make_graph
from flowjit.ir import types as T
from flowjit.ir.passes import optimize

VEC = re.compile(r"<(\d+) x (float|double|i32|i64|i8|i1)>")


def _vector_widths(ir_text, elem):
    return {int(n) for n, t in VEC.findall(ir_text) if t == elem}


@pytest.mark.parametrize("dtype,elem", [(np.float32, "float"), (np.float64, "double"),
                                        (np.int32, "i32"), (np.int64, "i64")])
def test_elementwise_chain_vectorizes(dtype, elem):
    g = make_graph(lambda x, y: x * y + x - y, [T.TensorType(dtype, (4096,))] * 2)
    widths = _vector_widths(Native(g).compiled.llvm_ir, elem)
    assert widths and max(widths) >= 4, widths


def test_fused_kernel_vectorizes():
    g = make_graph(lambda x: (x * 2.0 + 1.0) * x, [T.TensorType(np.float32, (T.Dim("n"),))])
    g, _ = optimize(g)
    assert g.op_counts().get("fusion") == 1
    assert max(_vector_widths(Native(g).compiled.llvm_ir, "float")) >= 4


def test_broadcast_inner_axis_vectorizes():
    g = make_graph(lambda x, y: x + y, [T.TensorType(np.float64, (64, 256)),
                                        T.TensorType(np.float64, (256,))])
    assert max(_vector_widths(Native(g).compiled.llvm_ir, "double")) >= 2


def test_pairwise_block_uses_vector_lanes():
    # NumPy's 8 independent accumulators are exactly what SLP packs into one vector.
    g = make_graph(lambda x: np.sum(x), [T.TensorType(np.float32, (T.Dim("n"),))])
    assert 8 in _vector_widths(Native(g).compiled.llvm_ir, "float")


def test_no_fast_math_by_default():
    g = make_graph(lambda x: np.sum(x * 2.0), [T.TensorType(np.float64, (100,))])
    text = Native(g).compiled.llvm_ir
    assert not re.search(r"\b(fast|reassoc|contract|nnan|ninf)\b", text.split("attributes")[0])
