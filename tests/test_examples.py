"""Every example runs on a small input and passes its own check against eager NumPy."""

import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name,args,expected", [
    ("quickstart", (), "collatz_steps(27) = np.int64(111)"),
    ("collatz", (20_000,), "start 17647, 278 steps"),
    ("newton", (10_000,), "eager NumPy check passes"),
    ("mandelbrot", (90, 60, ""), "eager check on 60x40 passes"),
    ("kmeans", (1, 2), "labels equal eager NumPy's exactly"),
    ("softmax_layernorm", (64, 32, 1), "trace_count 1 and 1; eager NumPy check passes"),
])
def test_example_runs_and_checks_itself(name, args, expected, capsys):
    load(name).main(*args)
    assert expected in capsys.readouterr().out
