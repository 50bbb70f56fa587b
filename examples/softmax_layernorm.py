"""Row softmax and layer normalization of float32 activations, with one trace for every batch
size: `input_signature=[fj.TensorSpec((None, features), np.float32)]` makes the row count a
symbolic dimension, passed to the native code at run time.

    python examples/softmax_layernorm.py
"""

import time

import numpy as np

import flowjit as fj


def softmax(x):
    """Softmax of each row (max-subtracted for stability)."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layernorm(x, gamma, beta, eps=np.float32(1e-5)):
    """Layer normalization of each row, then a per-feature scale and shift."""
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def main(rows: int = 4096, features: int = 1024, repeats: int = 5) -> None:
    rng = np.random.default_rng(0)
    c_softmax = fj.function(softmax,
                            input_signature=[fj.TensorSpec((None, features), np.float32)])
    c_layernorm = fj.function(layernorm, input_signature=[
        fj.TensorSpec((None, features), np.float32), fj.TensorSpec((features,), np.float32),
        fj.TensorSpec((features,), np.float32)])
    gamma = rng.uniform(0.5, 1.5, features).astype(np.float32)
    beta = rng.normal(0, 0.1, features).astype(np.float32)

    batches = [max(rows // 4, 1), max(rows // 2, 1), rows]
    for n in batches:
        x = (rng.standard_normal((n, features)) * 3).astype(np.float32)
        s, e = c_softmax(x), softmax(x)
        assert s.dtype == e.dtype == np.float32 and s.shape == e.shape
        np.testing.assert_allclose(s, e, rtol=2e-6, atol=1e-9)
        y, ey = c_layernorm(x, gamma, beta), layernorm(x, gamma, beta)
        assert y.dtype == ey.dtype == np.float32 and y.shape == ey.shape
        np.testing.assert_allclose(y, ey, rtol=1e-5, atol=1e-5)
    print(f"softmax and layernorm on batches of {batches} rows x {features} float32 features: "
          f"trace_count {c_softmax.trace_count} and {c_layernorm.trace_count}; "
          f"eager NumPy check passes")
    assert c_softmax.trace_count == 1 and c_layernorm.trace_count == 1

    def best(fn, *args):
        t = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(*args)
            t = min(t, time.perf_counter() - t0)
        return t

    for name, comp, eager, args in (("softmax", c_softmax, softmax, (x,)),
                                    ("layernorm", c_layernorm, layernorm, (x, gamma, beta))):
        tn, te = best(comp, *args), best(eager, *args)
        print(f"  {name} {rows}x{features}: native {tn * 1e3:.2f} ms vs eager NumPy "
              f"{te * 1e3:.2f} ms: {te / tn:.1f}x")


if __name__ == "__main__":
    main()
