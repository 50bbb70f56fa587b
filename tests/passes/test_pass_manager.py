"""Every pass on every test graph: same interpreter results, verifies, input left untouched;
the pass manager's log and verification; the default pipeline end to end."""

import numpy as np
import pytest

from flowjit import config
from flowjit.errors import InternalError
from flowjit.ir import Graph, Region
from flowjit.ir.passes import (Canonicalize, CommonSubexpressionElimination, ConstantFolding,
                               DeadCodeElimination, ElementwiseFusion, Pass, PassManager,
                               default_passes, map_regions, optimize)

from pass_cases import CASES, assert_equivalent, trace

PASSES = [ConstantFolding(), Canonicalize(), CommonSubexpressionElimination(),
          DeadCodeElimination(),
          ElementwiseFusion()]


def snapshot(graph):
    """Identity-level structure of a graph, to detect in-place mutation `str` would miss."""
    def region(r):
        return (tuple(map(id, r.args)), tuple(map(id, r.yields)),
                tuple((id(op), tuple(map(id, op.operands)), tuple(map(id, op.results)),
                       tuple(sorted(op.attrs)), tuple(region(s) for s in op.regions))
                      for op in r.ops))
    return region(graph.body), tuple(graph.kernels)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("p", PASSES, ids=lambda p: p.name)
def test_pass_preserves_semantics_and_input(p, case):
    fn, types = CASES[case]
    graph = trace(fn, *types)
    text, snap = str(graph), snapshot(graph)
    new = p.run(graph)
    assert isinstance(new, Graph) and new is not graph
    assert str(graph) == text and snapshot(graph) == snap
    new.verify()
    assert_equivalent(graph, new)
    # Idempotence of the result's semantics: running the pass again changes nothing observable.
    again = p.run(new)
    again.verify()
    assert_equivalent(new, again, n_inputs=2)


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_pipeline(case):
    fn, types = CASES[case]
    graph = trace(fn, *types)
    text = str(graph)
    optimized, log = optimize(graph)
    assert str(graph) == text
    optimized.verify()
    assert_equivalent(graph, optimized, n_inputs=8, seed=1)
    assert [e["pass"] for e in log] == [p.name for p in default_passes()]
    assert log[0]["before"] == graph.op_counts() and log[-1]["after"] == optimized.op_counts()
    for prev, nxt in zip(log, log[1:]):
        assert prev["after"] == nxt["before"]
    assert all(isinstance(e["seconds"], float) and e["seconds"] >= 0 for e in log)


def test_pass_log_example():
    graph = trace(CASES["dead_and_duplicates"][0], *CASES["dead_and_duplicates"][1])
    optimized, log = optimize(graph)
    assert log[0] == {**log[0], "pass": "constant_folding",
                      "before": {"exp": 1, "add": 4, "multiply": 1, "subtract": 1}}
    # cse: x + 1, x + 1 and 1 + x are one add (the dead exp(x) + 1 is the other)
    names = [e["pass"] for e in log]
    assert log[names.index("cse")]["after"] == {"exp": 1, "add": 2, "multiply": 1,
                                                "subtract": 1}
    assert log[names.index("dce")]["after"] == {"add": 1, "multiply": 1, "subtract": 1}
    assert optimized.op_counts() == {"fusion": 1}


class _Breaks(Pass):
    """A deliberately wrong pass: yields a value the graph does not define."""

    name = "breaks"

    def run(self, graph):
        from flowjit.ir import Value
        body = Region(graph.body.args, [], (Value(graph.body.yields[0].type),))
        return Graph(graph.name, body)


def test_manager_verifies_after_each_pass(monkeypatch):
    graph = trace(*[CASES["chain_f32"][0]], *CASES["chain_f32"][1])
    monkeypatch.setattr(config, "VERIFY", True)
    with pytest.raises(InternalError):
        PassManager([DeadCodeElimination(), _Breaks()]).run(graph)
    monkeypatch.setattr(config, "VERIFY", False)
    _, log = PassManager([DeadCodeElimination(), _Breaks()]).run(graph)
    assert [e["pass"] for e in log] == ["dce", "breaks"]


def test_map_regions_copies_every_op_including_nested_regions():
    fn, types = CASES["nested"]
    graph = trace(fn, *types)
    seen = []
    copy = map_regions(graph, lambda rb, op: (seen.append(op.name), rb.clone(op)))
    assert sorted(seen) == sorted(op.name for op in graph.walk())
    assert str(copy) == str(graph)
    assert not {id(op) for op in copy.walk()} & {id(op) for op in graph.walk()}


def test_optimize_is_exported_from_package():
    import flowjit.ir.passes as passes
    assert passes.optimize is optimize
    assert np.__version__  # numpy imported before flowjit ir in every test module
