"""Fused matmul epilogues (`ir/passes/matmul_epilogue.py`, `codegen/lowering/epilogue.py`):
the elementwise kernel after a 2-d product runs on the gemm's finished blocks.

Every case runs three ways: eager NumPy (the matmul to the gemm tests' tolerance, scaled by
the epilogue's Lipschitz constant 1), flowjit with the pass (the fused form), and flowjit
without it (the same kernel after the product): those two must agree bit for bit, on one
thread and on two (the gemm splits large products over the pool)."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.ir import interpreter
from flowjit.ir.passes import MatmulEpilogueFusion, optimize
from flowjit.runtime import threads

RNG = np.random.default_rng(55)
DTYPES = [np.float32, np.float64]


@pytest.fixture
def unfused(monkeypatch):
    """`unfused(fn)`: `fn` compiled with the `matmul_epilogue` pass switched off."""
    def compile_without(fn):
        f = fj.function(fn)

        def call(*args):
            with monkeypatch.context() as m:
                m.setattr(MatmulEpilogueFusion, "run", lambda self, graph: graph)
                return f(*args)
        return call
    return compile_without


@pytest.fixture(params=[1, 2], ids=["threads1", "threads2"])
def nthreads(request):
    old = threads.num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(old)


def _check(fn, args, unfused, *, fused=True, matmuls=1):
    """Compiled (fused) == compiled (unfused) bit for bit; both close to eager NumPy; the
    optimized graph has `matmuls` products with an epilogue when `fused`; the interpreter
    gives the same before and after the passes."""
    f = fj.function(fn)
    got = f(*args)
    text = str(f.get_concrete_function(*args).graph)
    assert text.count("epilogue=@") == (matmuls if fused else 0), text
    plain = unfused(fn)(*args)
    assert got.dtype == plain.dtype and got.shape == plain.shape
    assert got.tobytes() == plain.tobytes()
    want = fn(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    eps = np.finfo(want.dtype).eps if want.dtype.kind == "f" else 0
    k = max((a.shape[-1] for a in args if np.ndim(a) >= 2), default=1)
    # The gemm tests' bound 4 eps sqrt(k) sum|a||b| (standard normal data: sum|a||b| < k).
    np.testing.assert_allclose(got, want, rtol=8 * eps * np.sqrt(k),
                               atol=8 * eps * np.sqrt(k) * max(k, 1))
    traced = f.get_concrete_function(*args).traced_graph
    before = interpreter.run(traced, *args)
    after = interpreter.run(optimize(traced)[0], *args)
    for x, y in zip(before, after):
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()
    return got


def _arrays(dtype, *shapes):
    return [RNG.standard_normal(s).astype(dtype) for s in shapes]


SHAPES = [(1, 1, 1), (2, 3, 5), (5, 17, 15), (11, 32, 32), (13, 9, 31), (33, 65, 47),
          (32, 64, 128), (100, 257, 70), (133, 129, 131), (300, 20, 300), (512, 512, 512)]


def mlp(x, w, b):
    return np.maximum(x @ w + b, 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_bias_relu(m, k, n, dtype, unfused, nthreads):
    x, w, b = _arrays(dtype, (m, k), (k, n), (n,))
    _check(mlp, (x, w, b), unfused)


@pytest.mark.parametrize("m,k,n", [(0, 4, 5), (4, 0, 5), (4, 5, 0), (0, 0, 0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_empty(m, k, n, dtype, unfused):
    x, w, b = _arrays(dtype, (m, k), (k, n), (n,))
    _check(mlp, (x, w, b), unfused)     # k = 0: the epilogue of a zero product


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias_shape", [(1, 70), (100, 1), (1, 1), (100, 70), ()])
def test_bias_on_either_axis(bias_shape, dtype, unfused, nthreads):
    x, w, b = _arrays(dtype, (100, 90), (90, 70), bias_shape)
    _check(lambda x, w, b: np.tanh(x @ w - b) * 2, (x, w, b), unfused)


@pytest.mark.parametrize("dtype", DTYPES)
def test_python_scalar_and_zero_d(dtype, unfused):
    x, w = _arrays(dtype, (37, 29), (29, 41))
    _check(lambda x, w, s: (x @ w) * s + 1.5, (x, w, 0.25), unfused)
    _check(lambda x, w, s: np.maximum(x @ w, s), (x, w, dtype(0.1)), unfused)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_elementwise_op(dtype, unfused):
    """`x @ w + b` alone (no fusion kernel: one op) becomes a one-op epilogue."""
    x, w, b = _arrays(dtype, (64, 48), (48, 80), (80,))
    _check(lambda x, w, b: x @ w + b, (x, w, b), unfused)
    _check(lambda x, w: np.tanh(x @ w), (x, w), unfused)


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_chain(dtype, unfused, nthreads):
    x, w, b = _arrays(dtype, (200, 150), (150, 260), (260,))
    mask = RNG.standard_normal((200, 260)) > 0

    def fn(x, w, b, mask):
        y = x @ w + b
        return np.where(mask, np.tanh(y), np.maximum(y, 0) * 0.5)

    _check(fn, (x, w, b, mask), unfused)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k1,k2,n", [(32, 64, 128, 128), (7, 3, 5, 9), (300, 200, 100, 400)])
def test_rnn_cell_two_products(m, k1, k2, n, dtype, unfused, nthreads):
    """`tanh(x @ wx + h @ wh + b)`: the later product takes the kernel, the earlier one is an
    extra same-shaped operand."""
    x, wx, h, wh, b = _arrays(dtype, (m, k1), (k1, n), (m, k2), (k2, n), (n,))
    _check(lambda x, wx, h, wh, b: np.tanh(x @ wx + h @ wh + b), (x, wx, h, wh, b), unfused)


def test_rnn_loop(unfused):
    def rnn(xs, h0, wx, wh, b):
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ wx + h @ wh + b)
        return h

    f32 = np.float32
    xs = RNG.standard_normal((20, 32, 64)).astype(f32)
    h0 = np.zeros((32, 128), f32)
    wx = (RNG.standard_normal((64, 128)) / 8).astype(f32)
    wh = (RNG.standard_normal((128, 128)) * 0.5 / np.sqrt(128)).astype(f32)
    b = (RNG.standard_normal(128) * 0.1).astype(f32)
    got = _check(rnn, (xs, h0, wx, wh, b), unfused)
    assert got.shape == (32, 128)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transposed_operands(dtype, unfused):
    x, w, b = _arrays(dtype, (90, 60), (70, 90), (70,))
    _check(lambda x, w, b: np.maximum(x.T @ w.T + b, 0), (x, w, b), unfused)


def test_product_used_elsewhere_is_not_fused(unfused):
    x, w, b = _arrays(np.float32, (40, 30), (30, 50), (50,))

    def fn(x, w, b):
        y = x @ w
        return np.maximum(y + b, 0), y.sum()

    f = fj.function(fn)
    got = f(x, w, b)
    assert "epilogue=" not in str(f.get_concrete_function(x, w, b).graph)
    want = fn(x, w, b)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4)

    def returned(x, w, b):
        y = x @ w
        return y, np.tanh(y + b)

    f = fj.function(returned)
    got = f(x, w, b)
    assert "epilogue=" not in str(f.get_concrete_function(x, w, b).graph)
    np.testing.assert_allclose(got[1], np.tanh(x @ w + b), rtol=1e-5, atol=1e-5)


def test_result_of_another_type_is_not_fused(unfused):
    x, w = _arrays(np.float32, (20, 30), (30, 40))
    f = fj.function(lambda x, w: (x @ w) > 0)
    assert "epilogue=" not in str(f.get_concrete_function(x, w).graph)
    np.testing.assert_array_equal(f(x, w), (x @ w) > 0)


def test_extra_defined_after_the_product_moves_the_product(unfused):
    """A same-shaped extra computed after the product (by an op that is not fused) must
    exist before the epilogue runs: the fused product takes the consumer's place."""
    x, w = _arrays(np.float64, (30, 20), (20, 25))

    def fn(x, w):
        y = x @ w
        z = np.cumsum(x[:, :1] * np.ones((30, 25)), axis=1)   # after y, not elementwise
        return np.tanh(y + z)

    _check(fn, (x, w), unfused)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(2, 1, 3), (13, 9, 31), (100, 257, 70)])
def test_bias_reshaped_after_the_product(m, k, n, dtype, unfused, nthreads):
    """`np.maximum(x @ w + b.reshape(1, -1), 0)`: the reshape follows the product in the
    graph; the fused product (with the in-register bias and ReLU) comes after it."""
    def fn(x, w, b):
        return np.maximum(x @ w + b.reshape(1, -1), 0)

    x, w, b = _arrays(dtype, (m, k), (k, n), (n,))
    _check(fn, (x, w, b), unfused)
    f = fj.function(fn)
    f(x, w, b)
    assert "_post(" in f.get_concrete_function(x, w, b).llvm_ir


def test_print_between_product_and_consumer(unfused, capfd):
    """Moving the product past a `print` changes nothing observable: the product has no
    effects and the printed text is the same."""
    x, w, b = _arrays(np.float64, (7, 5), (5, 6), (6,))

    def fn(x, w, b):
        y = x @ w
        print("bias", b[0])
        return y * b

    got = _check(fn, (x, w, b), unfused)
    out = capfd.readouterr().out
    fn(x, w, b)
    eager = capfd.readouterr().out.splitlines()[0]
    assert out.splitlines() and all(line == eager for line in out.splitlines())
    assert got.shape == (7, 6)


def test_batched_product_is_left_unfused(unfused):
    x, w, b = _arrays(np.float32, (3, 20, 30), (3, 30, 40), (40,))
    _check(mlp, (x, w, b), unfused, fused=False)


def test_integer_product(unfused):
    x = RNG.integers(-5, 5, (17, 13))
    w = RNG.integers(-5, 5, (13, 19))
    b = RNG.integers(-5, 5, (19,))
    f = fj.function(mlp)
    assert "epilogue=@" in str(f.get_concrete_function(x, w, b).graph)
    np.testing.assert_array_equal(f(x, w, b), mlp(x, w, b))


def test_blas_path(monkeypatch, unfused):
    """With FLOWJIT_GEMM=blas (and for matrix-vector shapes) the epilogue runs after BLAS."""
    monkeypatch.setenv("FLOWJIT_GEMM", "blas")
    x, w, b = _arrays(np.float32, (64, 48), (48, 80), (80,))
    _check(mlp, (x, w, b), unfused)
    monkeypatch.delenv("FLOWJIT_GEMM")
    x, w, b = _arrays(np.float32, (1, 300), (300, 200), (200,))
    _check(mlp, (x, w, b), unfused)


def test_symbolic_shapes():
    def fn(x, w):
        c = x[:, :1]               # (m, 1): a column of the symbolic length m
        return np.tanh(x @ w + c)

    f = fj.function(fn, input_signature=[fj.TensorSpec((None, 64), np.float32),
                                         fj.TensorSpec((64, None), np.float32)])
    for m, n in [(1, 1), (37, 50), (130, 300)]:
        x, w = _arrays(np.float32, (m, 64), (64, n))
        np.testing.assert_allclose(f(x, w), fn(x, w), rtol=1e-5, atol=1e-5)
        assert "epilogue=@" in str(f.get_concrete_function(x, w).graph)
    assert f.trace_count == 1


def test_graph_shows_the_fused_form():
    x, w, b = _arrays(np.float32, (512, 512), (512, 512), (512,))
    cf = fj.function(mlp).get_concrete_function(x, w, b)
    text = str(cf.graph)
    assert "matmul[epilogue=@fused_0] %x, %w, %b" in text, text
    assert "kernel @fused_0(" in text and "fusion" not in text
    assert cf.graph.op_counts() == {"matmul": 1}
    assert "fj_gemm_f32_post" in cf.llvm_ir     # bias + ReLU: the kernels' post-ops
    assert any(e["pass"] == "matmul_epilogue" for e in cf.pass_log)


# -- the post-ops the gemm kernels apply in registers (epilogue.post_ops) ---------------------


def bias_only(x, w, b):
    return x @ w + b


def bias_first(x, w, b):
    return np.maximum(b + x @ w, 0)


def relu_only(x, w, b):
    return np.maximum(x @ w, 0.0)


def zero_first(x, w, b):
    return np.maximum(0, x @ w + b)      # maximum(0, -0.0) is -0.0: the callback's job


def negative_zero(x, w, b):
    return np.maximum(x @ w + b, -0.0)


def bias_then_tanh(x, w, b):
    return np.tanh(x @ w + b)


def _post_inputs(dtype, m, k, n):
    """Random operands with the cases the post-ops must get right: a zero row of x (C is
    the bias, -0.0 included, then its ReLU), NaN and inf."""
    x, w, b = _arrays(dtype, (m, k), (k, n), (n,))
    if m > 2:
        x[2] = 0
    if n > 3:
        b[3] = -0.0
    if m > 5 and k:
        x[5, 0] = np.nan
    if n > 1 and k:
        w[0, 1] = np.inf
    return x, w, b


@pytest.mark.parametrize("fn", [mlp, bias_only, bias_first, relu_only])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (6, 5, 33), (11, 32, 32), (17, 600, 40),
                                   (4, 0, 5), (300, 20, 300), (512, 512, 512)])
def test_post_ops_in_registers(fn, m, k, n, dtype, unfused, nthreads):
    """Bias and ReLU applied by the kernels (full and half-height tiles, column edges, k
    blocks, k = 0, two threads splitting the columns): bit for bit the unfused graph."""
    args = _post_inputs(dtype, m, k, n)
    with np.errstate(invalid="ignore"):
        _check(fn, args, unfused)
    ir_text = fj.function(fn).get_concrete_function(*args).llvm_ir
    name = "f32" if dtype == np.float32 else "f64"
    if m > 1 and n > 1:     # (a 1-row or 1-column product is BLAS's gemv, then the loop)
        assert f"fj_gemm_{name}_post" in ir_text and f"fj_gemm_{name}_epi" not in ir_text


@pytest.mark.parametrize("fn", [zero_first, negative_zero, bias_then_tanh])
@pytest.mark.parametrize("dtype", DTYPES)
def test_other_epilogues_keep_the_callback(fn, dtype, unfused):
    args = _post_inputs(dtype, 40, 30, 50)
    with np.errstate(invalid="ignore"):
        _check(fn, args, unfused)
    ir_text = fj.function(fn).get_concrete_function(*args).llvm_ir
    name = "f32" if dtype == np.float32 else "f64"
    assert f"fj_gemm_{name}_epi" in ir_text and f"fj_gemm_{name}_post" not in ir_text
