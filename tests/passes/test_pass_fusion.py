"""Elementwise fusion: chains and DAGs of array elementwise ops become one `fusion` op (counted
once by op_counts), 0-d ops stay, groups stay convex, regions fuse too, results unchanged."""

import numpy as np

from flowjit.ir import Kernel
from flowjit.ir.ops import registry
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.ops.effects import print_
from flowjit.ir.passes import ElementwiseFusion, optimize

from pass_cases import CASES, F32, F64, I32, I64, assert_equivalent, spec, trace

fuse = ElementwiseFusion().run


def fusions(graph):
    return [op for op in graph.walk() if op.name == "fusion"]


def test_three_op_chain_is_one_fusion():
    graph = trace(lambda x: np.exp(-x * x) * 2 + 1, spec(F32, 4, 3))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 1}
    (op,) = fusions(out)
    kernel = op.attrs["kernel"]
    assert isinstance(kernel, Kernel) and out.kernels == {"fused_0": kernel}
    assert [o.name for o in kernel.body.ops] == ["negative", "multiply", "exp", "multiply",
                                                 "add"]
    assert op.operands == out.inputs and len(kernel.body.args) == 1
    assert [r.type for r in op.results] == [y.type for y in kernel.body.yields]
    assert_equivalent(graph, out)


def test_fusion_opdef_is_registered():
    assert registry.get("fusion").kind == "fusion"
    assert registry.get("fusion").interpret is not None


def test_broadcast_operands_and_scalars_become_kernel_arguments():
    def f(x, y, s):
        return (x * y + s) / (x - y)
    graph = trace(f, spec(F32, 4, 3), spec(F32, 3), spec(F32))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 1}
    (op,) = fusions(out)
    assert [a.type.shape for a in op.attrs["kernel"].body.args] == [(4, 3), (3,), ()]
    assert_equivalent(graph, out)


def test_scalar_ops_are_not_fused():
    def f(x):
        s = x.sum()
        t = s * 2 + 1
        return x * t - 1
    out = fuse(trace(f, spec(F64, 5)))
    assert out.op_counts() == {"sum": 1, "multiply": 1, "add": 1, "fusion": 1}


def test_lone_elementwise_op_is_not_wrapped():
    out = fuse(trace(lambda x: x.sum(axis=0) + np.exp(x).prod(), spec(F32, 3)))
    assert "fusion" not in out.op_counts()


def test_group_stays_convex_across_a_reduction():
    def f(x):
        a = np.exp(x)
        s = a.sum(axis=0, keepdims=True)  # not a trailing axis: stays outside any kernel
        return a / s + 1  # a -> sum -> divide: a cannot join the divide's group
    graph = trace(f, spec(F32, 3, 4))
    out = fuse(graph)
    assert out.op_counts() == {"exp": 1, "sum": 1, "fusion": 1}
    assert_equivalent(graph, out)


def test_group_is_rescheduled_after_its_inputs():
    def f(x, y):
        a = x + 1
        s = y.prod()  # defined after a, used by the group: the fusion goes after it
        return a * s
    graph = trace(f, spec(F32, 3), spec(F32, 3))
    out = fuse(graph)
    out.verify()
    assert [op.name for op in out.body.ops] == ["prod", "fusion"]
    assert_equivalent(graph, out)


def test_different_shapes_are_separate_groups():
    def f(x, v):
        w = np.exp(v) * 2  # shape (3,)
        return x * w + 1  # shape (4, 3)
    graph = trace(f, spec(F32, 4, 3), spec(F32, 3))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 2}
    assert_equivalent(graph, out)


def test_several_outputs():
    graph = trace(*[CASES["effects"][0]], *CASES["effects"][1])
    out = fuse(graph)
    (op,) = fusions(out)
    assert len(op.results) == 2  # exp(x) + 1 is printed and used by the multiply
    assert_equivalent(graph, out)


def test_prints_keep_their_order():
    def f(x):
        a = x + 1
        print_("a", a)
        b = a * 2
        print_("b", b)
        return b - 3
    graph = trace(f, spec(F32, 3))
    out = fuse(graph)
    assert [op.name for op in out.body.ops] == ["fusion", "print", "print"]
    assert_equivalent(graph, out)


def test_fuses_inside_loops_and_branches():
    def f(x, n):
        def body(k, y):
            y = cond(k % 2 == 0, lambda: np.sqrt(y * y + 1) - x, lambda: y * 0.5 + x)
            return k + 1, y
        return while_loop(lambda k, y: k < n, body, (0, x))[1]
    graph = trace(f, spec(F64, 2, 2), spec(I64, weak=True))
    out = fuse(graph)
    counts = out.op_counts()
    assert counts["fusion"] == 2 and "sqrt" not in counts and "multiply" not in counts
    assert set(out.kernels) == {"fused_0", "fused_1"}
    assert_equivalent(graph, out)


def test_int_and_bool_elementwise_fuse():
    def f(x):
        return np.where((x % 3 == 0) | (x < 0), x // 2, -x)
    graph = trace(f, spec(I32, 7))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 1}
    assert_equivalent(graph, out)


def test_running_twice_adds_nothing_and_keeps_names_unique():
    graph = fuse(trace(*[CASES["reductions"][0]], *CASES["reductions"][1]))
    again = fuse(graph)
    assert again.op_counts() == graph.op_counts() and set(again.kernels) == set(graph.kernels)


def test_default_pipeline_fuses_chain_to_one_op():
    graph = trace(lambda x: np.exp(-x * x) * 2 + 1, spec(F32, 0, 3))
    out, log = optimize(graph)
    assert out.op_counts() == {"fusion": 1}
    fusion = [entry for entry in log if entry["pass"] == "fusion"]
    assert len(fusion) == 1 and fusion[0]["after"] == {"fusion": 1}
    assert_equivalent(graph, out)


# -- reductions in kernels -----------------------------------------------------------------------

def softmax(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=1, keepdims=True)


def kernel_ops(graph):
    (op,) = fusions(graph)
    return [o.name for o in op.attrs["kernel"].body.ops]


def test_softmax_is_one_kernel():
    graph = trace(softmax, spec(F32, 5, 7))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 1}
    assert kernel_ops(out) == ["max", "subtract", "exp", "sum", "true_divide"]
    assert_equivalent(graph, out)


def test_reduction_ends_a_kernel():
    def f(a, b):
        return np.max(np.abs(a - b)), np.sum(a * b, axis=-1)
    graph = trace(f, spec(F64, 6), spec(F64, 6))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 2}
    assert_equivalent(graph, out)


def test_reduction_over_several_trailing_axes():
    def f(x, y):
        d = x - y
        return (d * d).sum(axis=(1, 2)), (d * d).sum(axis=(1, 2), keepdims=True) * d
    graph = trace(f, spec(F32, 3, 4, 5), spec(F32, 4, 5))
    out = fuse(graph)
    assert out.op_counts() == {"fusion": 1}
    assert_equivalent(graph, out)


def test_reduction_result_not_per_row_stays_outside():
    def f(x):
        s = (x * 2).sum(axis=1)  # shape (4,), broadcast along the rows of a (4, 4) array
        return x + s
    graph = trace(f, spec(F32, 4, 4))
    out = fuse(graph)
    ops = kernel_ops(out) if out.op_counts().get("fusion") == 1 else None
    assert out.op_counts() == {"fusion": 1, "add": 1}
    assert ops == ["multiply", "sum"]
    assert_equivalent(graph, out)


def test_leading_axis_and_other_reductions_are_not_fused():
    def f(x):
        return (x * 2).sum(axis=0), (x + 1).mean(axis=1), np.argmax(x * 3, axis=1)
    graph = trace(f, spec(F32, 4, 5))
    out = fuse(graph)
    assert "fusion" not in out.op_counts()
    for name in ("sum", "mean", "argmax"):
        assert out.op_counts()[name] == 1
    assert_equivalent(graph, out)


def test_reductions_of_different_axes_are_separate_kernels():
    def f(x):
        y = x * 2
        return y.sum(axis=(0, 1)) + y.max(axis=1).sum()
    graph = trace(f, spec(F32, 4, 5))
    out = fuse(graph)
    for op in fusions(out):
        axes = {o.attrs["axis"] for o in op.attrs["kernel"].body.ops if "axis" in o.attrs}
        assert len(axes) <= 1
    assert_equivalent(graph, out)


def test_reduction_of_a_reduction_is_not_in_its_kernel():
    def f(x):
        m = x.max(axis=1, keepdims=True) * 1
        return (x - m).sum(axis=1, keepdims=True).sum(axis=1)
    graph = trace(f, spec(F32, 4, 5))
    out = fuse(graph)
    for op in fusions(out):
        body = op.attrs["kernel"].body
        inside = {id(r) for o in body.ops for r in o.results}
        for o in body.ops:
            if o.opdef.kind == "reduction":
                src = o.operands[0]
                assert id(src) not in inside or src.producer.opdef.kind != "reduction"
    assert_equivalent(graph, out)


def test_reduction_kernels_in_loops_and_optimize():
    def f(a):
        def test(i, x):
            return i < 3

        def body(i, x):
            return i + 1, x / (np.max(np.abs(x)) + 1.0) + a
        _, y = while_loop(test, body, (0, a))
        return softmax(y.reshape(2, 3))
    graph = trace(f, spec(F64, 6))
    out, _ = optimize(graph)
    names = [o.name for op in fusions(out) for o in op.attrs["kernel"].body.ops]
    assert names.count("max") == 2 and "sum" in names
    assert_equivalent(graph, out)
