"""flowjit's own gemm (`codegen/gemm`): differential tests against NumPy, through `fj.function`
and by calling `fj_gemm_f32`/`fj_gemm_f64` directly (strides, offsets, transposes, guard pages),
determinism, the AVX2 variant, and the machine code (zmm FMAs on an AVX-512 host)."""

import ctypes
import os
import re
import subprocess
import sys
import threading

import llvmlite.binding as llvm
import numpy as np
import pytest

import flowjit as fj
from flowjit.codegen import gemm
from flowjit.codegen.gemm import build, params

pytestmark = pytest.mark.skipif(params.vector_isa() is None,
                                reason="no AVX2+FMA: matmul calls BLAS")

RNG = np.random.default_rng(2024)
DTYPES = [np.float32, np.float64]

GEMM_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                             ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                             ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                             ctypes.c_void_p, ctypes.c_int64)

# (m, k, n): empty, vectors, tile edges (mr = 6/8/11/14, nr = 8/16/32/48), several k blocks.
SHAPES = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0), (1, 1, 1), (1, 7, 1), (1, 300, 33),
          (33, 300, 1), (2, 3, 5), (5, 17, 15), (6, 16, 8), (13, 9, 31), (14, 32, 32),
          (15, 31, 33), (29, 65, 47), (32, 64, 128), (32, 128, 128), (47, 513, 49),
          (65, 40, 97), (100, 257, 70), (130, 129, 131), (127, 600, 200), (300, 20, 300)]


def _tolerance(dtype, k):
    # Each element is a k-term FMA chain; NumPy's BLAS sums in another order.
    eps = np.finfo(dtype).eps
    return 4 * eps * np.sqrt(max(k, 1)) + eps


def _check(got, a, b):
    exact = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert got.shape == exact.shape and got.dtype == a.dtype
    k = a.shape[-1]
    bound = _tolerance(a.dtype, k) * scale + np.finfo(a.dtype).tiny
    assert np.all(np.abs(got - exact) <= bound), np.max(np.abs(got - exact) - bound)


def _gemm(address):
    return GEMM_TYPE(address)


def call_gemm(fn, a_buf, b_buf, m, n, k, ta=False, tb=False, lda=None, ldb=None, c=None):
    """`fn` on NumPy buffers: a_buf holds A (m, k) or, with ta, A^T (k, m); likewise b_buf."""
    dt = a_buf.dtype
    item = dt.itemsize
    lda = lda if lda is not None else (a_buf.strides[0] // item if a_buf.ndim == 2 else 1)
    ldb = ldb if ldb is not None else (b_buf.strides[0] // item if b_buf.ndim == 2 else 1)
    if c is None:
        c = np.full((m, n), np.nan, dt)
    status = fn(m, n, k, a_buf.ctypes.data, lda, int(ta), b_buf.ctypes.data, ldb, int(tb),
                c.ctypes.data, c.strides[0] // item if c.ndim == 2 and c.shape[0] else max(n, 1))
    assert status == 0
    return c


@pytest.fixture(scope="module")
def host_gemm():
    return {np.dtype(dt): _gemm(gemm.install(dt)) for dt in DTYPES}


# -- through fj.function ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_matmul_matches_numpy(m, k, n, dtype):
    a = RNG.standard_normal((m, k)).astype(dtype)
    b = RNG.standard_normal((k, n)).astype(dtype)
    f = fj.function(lambda x, y: x @ y)
    ir_text = f.get_concrete_function(a, b).llvm_ir
    # Matrix-vector products (one row on the left, one column on the right) call BLAS.
    assert (f"@{gemm.symbol(dtype)}(" in ir_text) == (m != 1 and n != 1)
    _check(f(a, b), a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(2, 1, 2), (5, 17, 15), (33, 70, 29), (130, 129, 131)])
def test_transposed_operands(m, k, n, dtype):
    at = RNG.standard_normal((k, m)).astype(dtype)     # A^T
    bt = RNG.standard_normal((n, k)).astype(dtype)     # B^T
    a, b = at.T, bt.T
    cases = [(lambda x, y: x.T @ y, (at, b)), (lambda x, y: x @ y.T, (a, bt)),
             (lambda x, y: x.T @ y.T, (at, bt))]
    for fn, args in cases:
        f = fj.function(fn, autograph=False)
        ir_text = f.get_concrete_function(*args).llvm_ir
        assert f"@{gemm.symbol(dtype)}(" in ir_text
        _check(f(*args), a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_vectors_and_batches(dtype):
    def products(x, y, v, w, p, q):
        return x @ v, v @ y, v @ v, p @ q, np.matmul(p, y), x @ q

    x = RNG.standard_normal((7, 9)).astype(dtype)
    y = RNG.standard_normal((9, 5)).astype(dtype)
    v = RNG.standard_normal(9).astype(dtype)
    w = RNG.standard_normal(5).astype(dtype)
    p = RNG.standard_normal((3, 1, 7, 9)).astype(dtype)      # broadcast batch axes
    q = RNG.standard_normal((2, 9, 5)).astype(dtype)
    got = fj.function(products)(x, y, v, w, p, q)
    want = products(x, y, v, w, p, q)
    for g, e in zip(got, want):
        assert np.shape(g) == np.shape(e)
        tol = _tolerance(dtype, 9) * 40
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_batches(dtype):
    f = fj.function(lambda x, y: x @ y)
    base_a = RNG.standard_normal((4, 6, 10, 12)).astype(dtype)
    base_b = RNG.standard_normal((6, 4, 13, 9)).astype(dtype)
    a = base_a[:, ::2, 1:, ::2]                    # (4, 3, 9, 6), strided everywhere
    b = base_b[::2].transpose(1, 0, 3, 2)[..., :6, 2:]    # (4, 3, 6, 11)
    _check(f(a, b), np.ascontiguousarray(a), np.ascontiguousarray(b))


def test_matmul_inside_loop_is_stable():
    """The RNN pattern: the same right operand in a native loop; bit-identical to one-by-one."""
    @fj.function
    def steps(xs, w):
        h = np.zeros((xs.shape[1], w.shape[1]), np.float32)
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ w + h[:, :1])
        return h

    xs = RNG.standard_normal((6, 32, 64)).astype(np.float32)
    w = (RNG.standard_normal((64, 128)) / 8).astype(np.float32)
    one = fj.function(lambda x, w_, h: np.tanh(x @ w_ + h[:, :1]))
    h = np.zeros((32, 128), np.float32)
    for t in range(6):
        h = one(xs[t], w, h)
    np.testing.assert_array_equal(steps(xs, w), h)


# -- direct calls ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_leading_dimensions_and_offsets(host_gemm, dtype, ta, tb):
    """Sub-matrices of larger buffers (lda/ldb/ldc > row length), at odd element offsets (so no
    64-byte alignment), transposed or not; C outside the sub-matrix is left untouched."""
    fn = host_gemm[np.dtype(dtype)]
    for m, k, n in [(1, 1, 1), (13, 9, 31), (47, 300, 49), (70, 257, 100)]:
        a = RNG.standard_normal((m, k)).astype(dtype)
        b = RNG.standard_normal((k, n)).astype(dtype)
        big_a = RNG.standard_normal((k + 3, m + 5) if ta else (m + 3, k + 5)).astype(dtype)
        big_b = RNG.standard_normal((n + 2, k + 7) if tb else (k + 2, n + 7)).astype(dtype)
        va = big_a[1:1 + k, 3:3 + m] if ta else big_a[1:1 + m, 3:3 + k]
        vb = big_b[1:1 + n, 1:1 + k] if tb else big_b[1:1 + k, 1:1 + n]
        va[...] = a.T if ta else a
        vb[...] = b.T if tb else b
        big_c = np.full((m + 2, n + 3), 7.0, dtype)
        vc = big_c[1:1 + m, 1:1 + n]
        status = fn(m, n, k, va.ctypes.data, big_a.shape[1], int(ta), vb.ctypes.data,
                    big_b.shape[1], int(tb), vc.ctypes.data, big_c.shape[1])
        assert status == 0
        _check(vc.copy(), a, b)
        outside = np.ones(big_c.shape, bool)
        outside[1:1 + m, 1:1 + n] = False
        assert np.all(big_c[outside] == 7.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_deterministic_and_independent_of_tiling(host_gemm, dtype):
    """Each element is one FMA chain over k in order: a row (column) of the product is bit-
    identical whether computed alone or inside a large product, packed or not, transposed or
    not, and across repeated calls."""
    fn = host_gemm[np.dtype(dtype)]
    m, k, n = 150, 700, 170
    a = RNG.standard_normal((m, k)).astype(dtype)
    b = RNG.standard_normal((k, n)).astype(dtype)
    full = call_gemm(fn, a, b, m, n, k)
    assert np.array_equal(full, call_gemm(fn, a, b, m, n, k))
    assert np.array_equal(full, call_gemm(fn, np.ascontiguousarray(a.T),
                                          np.ascontiguousarray(b.T), m, n, k, True, True))
    for i in (0, 13, 14, 77, 149):
        row = call_gemm(fn, a[i:i + 1], b, 1, n, k)
        assert np.array_equal(row[0], full[i])
    for j in (0, 31, 32, 169):
        col = call_gemm(fn, a, np.ascontiguousarray(b[:, j:j + 1]), m, 1, k)
        assert np.array_equal(col[:, 0], full[:, j])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(16, 2000, 8), (11, 700, 16), (5, 300, 3), (27, 1000, 33),
                                   (23, 64, 70)])
def test_transposed_a_read_in_place(host_gemm, dtype, m, k, n):
    """A transposed A is read in place (its whole micro-panels; a last partial one is packed):
    k-means' `onehot.T @ points`. Each element is the same FMA chain as with the row-major
    copy of A, so the two agree bit for bit, over several k blocks and both kernels."""
    fn = host_gemm[np.dtype(dtype)]
    a = RNG.standard_normal((m, k)).astype(dtype)
    b = RNG.standard_normal((k, n)).astype(dtype)
    row_major = call_gemm(fn, a, b, m, n, k)
    transposed = call_gemm(fn, np.ascontiguousarray(a.T), b, m, n, k, True, False)
    assert np.array_equal(transposed, row_major)
    _check(transposed, a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_does_not_change_results(host_gemm, dtype):
    """Large products are split over the pool's threads (by columns, or by rows when C is
    taller than wide); every element is still the same FMA chain: bit-identical results."""
    from flowjit.runtime import threads
    fn = host_gemm[np.dtype(dtype)]
    before = threads.num_threads()
    try:
        for m, k, n in [(512, 512, 512), (1000, 300, 70), (70, 300, 1000), (333, 257, 301)]:
            for ta, tb in [(False, False), (True, True)]:
                a = RNG.standard_normal((m, k)).astype(dtype)
                b = RNG.standard_normal((k, n)).astype(dtype)
                ab = np.ascontiguousarray(a.T) if ta else a
                bb = np.ascontiguousarray(b.T) if tb else b
                threads.set_num_threads(1)
                one = call_gemm(fn, ab, bb, m, n, k, ta, tb)
                for nt in (2, 3):
                    threads.set_num_threads(nt)
                    assert np.array_equal(call_gemm(fn, ab, bb, m, n, k, ta, tb), one)
                _check(one, a, b)
    finally:
        threads.set_num_threads(before)


EPI_GEMM_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, *GEMM_TYPE._argtypes_, ctypes.c_void_p,
                                 ctypes.c_void_p)
EPILOGUE_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                 ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_epilogue_sees_each_finished_block_once(host_gemm, dtype):
    """`fj_gemm_<dtype>_epi` calls the epilogue on blocks that cover C exactly once, with
    whole-product coordinates and a pointer to the block, after the block is final (it
    holds the plain gemm's values), on one thread and when the product is split."""
    from flowjit.runtime import threads
    fn = host_gemm[np.dtype(dtype)]
    epi_fn = EPI_GEMM_TYPE(llvm.address_of_symbol(gemm.epilogue_symbol(dtype)))
    item = np.dtype(dtype).itemsize
    before = threads.num_threads()
    lock = threading.Lock()
    try:
        for m, k, n in [(0, 3, 4), (5, 0, 7), (13, 9, 31), (300, 300, 40), (512, 512, 512),
                        (40, 600, 700)]:
            a, b = RNG.standard_normal((m, k)).astype(dtype), RNG.standard_normal(
                (k, n)).astype(dtype)
            want = call_gemm(fn, a, b, m, n, k)
            for nt in (1, 2):
                threads.set_num_threads(nt)
                c = np.full((m, n), np.nan, dtype)
                seen = np.zeros((m, n), np.int64)
                ok = []     # (an exception in a ctypes callback would only be printed)

                def epilogue(ctx, p, ldc, row0, col0, rows, cols):
                    with lock:
                        block = c[row0:row0 + rows, col0:col0 + cols]
                        ok.append(ctx == 1234 and ldc == max(n, 1) and rows > 0 and cols > 0
                                  and p == c.ctypes.data + (row0 * ldc + col0) * item
                                  and np.array_equal(block, want[row0:row0 + rows,
                                                                 col0:col0 + cols]))
                        seen[row0:row0 + rows, col0:col0 + cols] += 1
                        block += 1      # the epilogue may transform the block in place

                cb = EPILOGUE_TYPE(epilogue)
                status = epi_fn(m, n, k, a.ctypes.data, max(k, 1), 0, b.ctypes.data, max(n, 1),
                                0, c.ctypes.data, max(n, 1), ctypes.cast(cb, ctypes.c_void_p),
                                1234)
                assert status == 0
                assert np.all(seen == 1) and all(ok)
                assert np.array_equal(c, want + 1)
    finally:
        threads.set_num_threads(before)


def test_concurrent_calls(host_gemm):
    """Calls from several threads at once (ctypes drops the GIL) each get their own workspace."""
    fn = host_gemm[np.dtype(np.float32)]
    a = RNG.standard_normal((200, 300)).astype(np.float32)
    b = RNG.standard_normal((300, 250)).astype(np.float32)
    want = call_gemm(fn, a, b, 200, 250, 300)
    bad = []

    def work():
        for _ in range(20):
            if not np.array_equal(call_gemm(fn, a, b, 200, 250, 300), want):
                bad.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


def test_no_access_outside_the_operands(tmp_path):
    """Every operand ends right before a PROT_NONE page (and starts right after one): an
    out-of-bounds load or store crashes the child process."""
    helper = tmp_path / "guarded.py"
    helper.write_text(GUARDED)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fj.__file__)))
    out = subprocess.run([sys.executable, str(helper)], cwd=root, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout


GUARDED = r'''
import ctypes, mmap
import numpy as np
from flowjit.codegen import gemm

libc = ctypes.CDLL(None)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PAGE = mmap.PAGESIZE
keep = []

def guarded(shape, dtype, at_end):
    """An array whose data touches a PROT_NONE page at its end (or its start)."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    pages = (nbytes + PAGE - 1) // PAGE + 2
    buf = mmap.mmap(-1, pages * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    libc.mprotect(base, PAGE, 0)
    libc.mprotect(base + (pages - 1) * PAGE, PAGE, 0)
    offset = (pages - 1) * PAGE - nbytes if at_end else PAGE
    keep.append(buf)
    arr = np.frombuffer(buf, dtype=dtype, count=int(np.prod(shape)), offset=offset)
    return arr.reshape(shape)

TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * 3 + [ctypes.c_void_p, ctypes.c_int64,
                        ctypes.c_int64] * 2 + [ctypes.c_void_p, ctypes.c_int64]))
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    fn = TYPE(gemm.install(dtype))
    for m, k, n in [(1, 1, 1), (3, 5, 7), (13, 9, 31), (15, 17, 33), (29, 300, 47), (100, 70, 90)]:
        for ta in (0, 1):
            for tb in (0, 1):
                for at_end in (True, False):
                    a = guarded((k, m) if ta else (m, k), dtype, at_end)
                    b = guarded((n, k) if tb else (k, n), dtype, at_end)
                    c = guarded((m, n), dtype, at_end)
                    a[...] = rng.standard_normal(a.shape)
                    b[...] = rng.standard_normal(b.shape)
                    assert fn(m, n, k, a.ctypes.data, a.shape[1], ta, b.ctypes.data, b.shape[1],
                              tb, c.ctypes.data, n) == 0
                    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b)
                    assert np.allclose(c, want, rtol=1e-4, atol=1e-4), (m, k, n, ta, tb)
print("ok")
'''


# -- other instruction sets and the machine code -------------------------------------------------

@pytest.mark.parametrize("name", ["f32", "f64"])
def test_avx2_variant(name):
    """The AVX2 kernels (8 x f32 / 4 x f64 ymm vectors, 6 x 2 tiles), compiled for Haswell
    (no AVX-512 instructions at all) and run on this host."""
    dtype = np.float32 if name == "f32" else np.float64
    engine, address = build.compile_module(name, "avx2", cpu="haswell")
    fn = _gemm(address)
    for m, k, n in [(1, 1, 1), (7, 13, 9), (6, 16, 16), (37, 300, 45), (130, 129, 131)]:
        for ta, tb in [(False, False), (True, True)]:
            a = RNG.standard_normal((m, k)).astype(dtype)
            b = RNG.standard_normal((k, n)).astype(dtype)
            ab = np.ascontiguousarray(a.T) if ta else a
            bb = np.ascontiguousarray(b.T) if tb else b
            _check(call_gemm(fn, ab, bb, m, n, k, ta, tb), a, b)
    del engine


@pytest.mark.skipif(params.vector_isa() != "avx512", reason="host without AVX-512")
@pytest.mark.parametrize("name", ["f32", "f64"])
def test_kernel_uses_zmm_fmas(name):
    asm = build.asm(name)
    kind = "ps" if name == "f32" else "pd"
    assert re.search(rf"vfmadd\w*{kind}\s.*zmm", asm)
    assert not re.search(rf"vfmadd\w*{kind}\s.*ymm", asm)


def test_avx2_kernel_uses_ymm_fmas():
    asm = build.asm("f32", "avx2", cpu="haswell")
    assert re.search(r"vfmadd\w*ps\s.*ymm", asm)
    assert not re.search(r"zmm", asm)


@pytest.mark.parametrize("gemm_env", ["", "blas"])
def test_disk_cached_matmul_links_its_gemm(tmp_path, gemm_env):
    """A new process loading a cached object that calls fj_gemm_* (or BLAS) registers that
    symbol first (an unresolved symbol would abort the process in MCJIT)."""
    script = tmp_path / "cached_mm.py"
    script.write_text(
        "import numpy as np, flowjit as fj\n"
        "@fj.function(cache=True)\n"
        "def mm(x, y):\n"
        "    return x @ y\n"
        "a = np.arange(12, dtype=np.float32).reshape(3, 4)\n"
        "b = np.arange(8, dtype=np.float64).reshape(4, 2)\n"
        "assert np.array_equal(mm(a, a.T.copy()), a @ a.T)\n"
        "assert np.array_equal(mm(b.T.copy(), b), b.T @ b)\n"
        "print(mm.get_concrete_function(a, a.T.copy())._compiled.entry_name)\n")
    env = dict(os.environ, FLOWJIT_CACHE_DIR=str(tmp_path / "cache"), FLOWJIT_GEMM=gemm_env)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fj.__file__)))
    runs = [subprocess.run([sys.executable, str(script)], cwd=root, env=env, capture_output=True,
                           text=True, timeout=300) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert "fj_cached_" in runs[1].stdout


def test_blas_when_asked(monkeypatch):
    monkeypatch.setenv("FLOWJIT_GEMM", "blas")
    f = fj.function(lambda x, y: x @ y)
    a = np.ones((4, 4), np.float32)
    assert "fj_gemm_f32" not in f.get_concrete_function(a, a).llvm_ir
    np.testing.assert_array_equal(f(a, a), a @ a)
