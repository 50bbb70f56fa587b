"""docs/numpy_support.md is generated from the registry and cannot drift; every registered op
is exercised by a test."""

import pathlib

from flowjit.ir.ops import registry, support_table
from flowjit.ir.ops.elementwise import UFUNCS

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def test_committed_page_is_the_generated_one():
    committed = (ROOT / "docs" / "numpy_support.md").read_text()
    assert committed == support_table.generate(), (
        "docs/numpy_support.md is out of date: regenerate it with "
        "`python -m flowjit.ir.ops.support_table > docs/numpy_support.md`")


#: Every op in the registry -> a test file (under tests/) that compiles it end to end and
#: compares it with eager NumPy or the reference interpreter. Ufuncs are covered by
#: tests/numpy/test_elementwise.py, which iterates over UFUNCS.
EXERCISED = {
    **{name: "numpy/test_elementwise.py" for name in UFUNCS},
    "where": "numpy/test_elementwise.py", "astype": "numpy/test_elementwise.py",
    "constant": "numpy/test_indexing_creation.py", "full": "numpy/test_indexing_creation.py",
    "arange": "numpy/test_indexing_creation.py",
    **{name: "numpy/test_reductions.py" for name in (
        "sum", "prod", "mean", "max", "min", "any", "all", "argmax", "argmin", "cumsum",
        "cumprod")},
    "getitem": "numpy/test_indexing_creation.py", "setitem": "numpy/test_indexing_creation.py",
    "take": "numpy/test_indexing_creation.py",
    "dim": "numpy/test_shape_polymorphism.py", "reshape": "numpy/test_linalg_shape.py",
    "transpose": "numpy/test_linalg_shape.py", "broadcast_to": "numpy/test_linalg_shape.py",
    "concatenate": "numpy/test_linalg_shape.py", "matmul": "numpy/test_linalg_shape.py",
    "cond": "ir/test_control_flow.py", "while_loop": "ir/test_control_flow.py",
    "print": "autograph/autograph_cases.py", "assert": "autograph/autograph_cases.py",
    "fusion": "passes/test_pass_fusion.py",
    "python_int_bounds": "semantics/test_python_int_meets_int32.py",
    **{name: "autograph/test_ag_lists_dynamic.py" for name in (
        "list_new", "list_append", "list_length", "list_stack")},
}

#: How each test file names the ops it exercises (the NumPy spelling, when not the op name).
SPELLING = {"true_divide": "UFUNCS", "getitem": "x[", "setitem": "x[0] =", "take": "np.take",
            "constant": "np.arange(5)", "full": "np.full", "dim": "x.shape[0]",
            "broadcast_to": "np.broadcast_to", "print": "print(", "assert": "assert x > 0, ",
            "astype": ".astype", "python_int_bounds": "x * k"}


def test_every_registered_op_is_exercised():
    registry.get("add")  # loads every op family
    from flowjit.ir.passes import fusion  # noqa: F401
    assert set(registry.OPS) == set(EXERCISED), (
        f"ops without a test: {sorted(set(registry.OPS) - set(EXERCISED))}; "
        f"listed but not registered: {sorted(set(EXERCISED) - set(registry.OPS))}")
    for name, path in EXERCISED.items():
        text = (TESTS / path).read_text()
        word = "UFUNCS" if name in UFUNCS else SPELLING.get(name, name)
        assert word in text, f"{path} does not mention {word!r} (op {name})"
