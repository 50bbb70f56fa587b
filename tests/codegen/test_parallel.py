"""Multi-threaded kernels (codegen/parallel.py, runtime/threads.py): large elementwise/fusion
loops and the row loop of fused row reductions run on the thread pool, with results
bit-identical to the serial code and to NumPy where NumPy computes the same operations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest

import flowjit as fj
from flowjit.codegen import parallel
from flowjit.runtime import threads

THRESHOLD = parallel.THRESHOLD_BYTES
RNG = np.random.default_rng(1234)


@pytest.fixture
def two_threads():
    old = threads.num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(old)


def serial(fn, *args):
    """`fn(*args)` with the pool limited to the calling thread."""
    old = threads.num_threads()
    threads.set_num_threads(1)
    try:
        return fn(*args)
    finally:
        threads.set_num_threads(old)


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def data(dtype, shape):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return RNG.random(shape) < 0.5
    return RNG.integers(-1000, 1000, shape).astype(dtype)


def outlined(cf) -> list[str]:
    """Names of the outlined parallel bodies in a ConcreteFunction's optimized IR."""
    return re.findall(r"define internal void @\"?([\w.]+\.par\d+)\"?\(", cf.llvm_ir)


# -- elementwise ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool"])
def test_elementwise_dtypes_bit_identical(two_threads, dtype):
    def f(x, y):
        return np.where(x > y, x * y, x + y)

    n = 300_001
    x, y = data(dtype, n), data(dtype, n)
    if dtype == "bool":
        def f(x, y):   # noqa: F811
            return (x & ~y) | (y ^ x)
    jf = fj.function(f)
    got = jf(x, y)
    same_bits(got, f(x, y))
    same_bits(got, serial(jf, x, y))
    assert outlined(jf.get_concrete_function(x, y))


def test_transcendental_fusion_matches_serial(two_threads):
    def gelu(x):
        return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))

    x = data("float32", 1_000_003)
    jf = fj.function(gelu)
    got = jf(x)
    same_bits(got, serial(jf, x))
    np.testing.assert_allclose(got, gelu(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_threshold_edges(two_threads, delta):
    # float32 in, float32 out: 8 bytes touched per element.
    n = THRESHOLD // 8 + delta

    def f(x):
        return x * 3.0 + 1.0

    x = data("float32", n)
    jf = fj.function(f)
    same_bits(jf(x), f(x))
    same_bits(jf(x), serial(jf, x))
    body = outlined(jf.get_concrete_function(x))
    assert bool(body) == (n * 8 >= THRESHOLD)


@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000, 65537 * 3 + 1, 2_000_003])
def test_odd_sizes(two_threads, n):
    def f(x, y):
        return np.sqrt(np.abs(x)) - y / 7.0

    x, y = data("float64", n), data("float64", n)
    jf = fj.function(f)
    same_bits(jf(x, y), f(x, y))


@pytest.mark.parametrize("shapes", [
    ((2048, 513), (513,)),
    ((4099, 1), (1, 97)),
    ((3, 200_000), (3, 1)),
    ((500_001,), ()),
    ((7, 300, 129), (300, 1)),
])
def test_broadcasting(two_threads, shapes):
    def f(x, y):
        return x * 2.5 - y

    x, y = data("float32", shapes[0]), data("float32", shapes[1])
    jf = fj.function(f)
    got = jf(x, y)
    same_bits(got, f(x, y))
    same_bits(got, serial(jf, x, y))


def test_inside_while_loop(two_threads):
    def newton_sqrt(a):
        x = 0.5 * (a + 1.0)
        x_new = 0.5 * (x + a / x)
        while np.max(np.abs(x_new - x)) >= 1e-6:
            x = x_new
            x_new = 0.5 * (x + a / x)
        return x_new

    a = RNG.uniform(0.01, 100.0, 400_000)
    jf = fj.function(newton_sqrt)
    same_bits(jf(a), newton_sqrt(a))


# -- fused row reductions ---------------------------------------------------------------------

def softmax_rows(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", [(2048, 1024), (1001, 257), (5, 67, 301), (64, 3)])
def test_softmax_rows(two_threads, shape):
    x = data("float32", shape)
    jf = fj.function(softmax_rows)
    got = jf(x)
    same_bits(got, serial(jf, x))
    np.testing.assert_allclose(got, softmax_rows(x), rtol=1e-5, atol=1e-8)
    body = outlined(jf.get_concrete_function(x))
    assert bool(body) == (x.nbytes * 2 >= THRESHOLD)


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32"])
def test_row_sums_exact(two_threads, dtype):
    def f(x):
        return np.sum(x * 2, axis=1), np.max(x, axis=1)

    x = data(dtype, (3001, 211))
    jf = fj.function(f)
    got = jf(x)
    want = f(x)
    for g, w, s in zip(got, want, serial(jf, x)):
        same_bits(g, s)
        same_bits(g, w)   # pairwise per row, as NumPy (trap 10)


# -- kernels that can fail stay serial --------------------------------------------------------

def test_checked_kernel_stays_serial(two_threads):
    def f(x, y):
        return x ** y

    x = RNG.integers(-3, 3, 200_000)
    y = RNG.integers(0, 4, 200_000)
    jf = fj.function(f)
    same_bits(jf(x, y), f(x, y))
    assert not outlined(jf.get_concrete_function(x, y))
    y[150_000] = -1
    with pytest.raises(ValueError, match="negative integer powers"):
        jf(x, y)


# -- generated code -----------------------------------------------------------------------------

def test_outlined_body_vectorizes(two_threads):
    def f(x, y):
        return x * y + 1.0

    x, y = data("float32", 1 << 20), data("float32", 1 << 20)
    cf = fj.function(f).get_concrete_function(x, y)
    (body,) = outlined(cf)
    m = re.search(r"define internal void @\"?" + re.escape(body) + r"\"?\(.*?\n}\n",
                  cf.llvm_ir, re.S)
    assert m and re.search(r"<\d+ x float>", m.group(0)), "outlined loop is not vectorized"
    assert "@fj_parallel_for" in cf.llvm_ir


# -- thread count -----------------------------------------------------------------------------

SCRIPT = """
import sys
import numpy as np
import flowjit as fj
from flowjit.runtime import threads


def f(x):
    return np.tanh(x * 0.001) + x


if __name__ == "__main__":
    assert threads.num_threads() == int(sys.argv[1]), threads.num_threads()
    x = np.arange(1_000_000, dtype=np.float32)
    sys.stdout.buffer.write(fj.function(f)(x).tobytes())
"""


def test_env_num_threads_one(tmp_path):
    script = tmp_path / "par_script.py"
    script.write_text(SCRIPT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fj.__file__)))
    env = dict(os.environ, FLOWJIT_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    one = subprocess.run([sys.executable, str(script), "1"], env=env, capture_output=True,
                         check=True).stdout
    env["FLOWJIT_NUM_THREADS"] = "2"
    two = subprocess.run([sys.executable, str(script), "2"], env=env, capture_output=True,
                         check=True).stdout
    assert len(one) == 4_000_000 and one == two


def test_set_num_threads_validates():
    with pytest.raises(ValueError):
        threads.set_num_threads(0)


def test_default_num_threads(monkeypatch):
    monkeypatch.setenv("FLOWJIT_NUM_THREADS", "3")
    assert threads.default_num_threads() == 3
    monkeypatch.delenv("FLOWJIT_NUM_THREADS")
    assert threads.default_num_threads() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("FLOWJIT_NUM_THREADS", "zero")
    with pytest.raises(ValueError):
        threads.default_num_threads()


# -- many Python threads ----------------------------------------------------------------------

def test_concurrent_python_threads(two_threads):
    def f(x):
        return np.exp(-x * x) * 3.0

    jf = fj.function(f)
    xs = [data("float64", 200_000 + 1000 * k) for k in range(4)]
    want = [serial(jf, x) for x in xs]
    errors = []

    def worker(k):
        try:
            for i in range(25):
                j = (k + i) % len(xs)
                same_bits(jf(xs[j]), want[j])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]
