"""Idiomatic JAX versions of the workloads (``jnp`` + ``lax``), one per name in the registry.

JAX cannot trace the shared NumPy source (in-place ``out[i, j] = n``, Python ``while`` on
traced values), so these are the versions a JAX user would write: the same math with
``jax.numpy``, ``lax.while_loop``/``lax.scan``/``lax.fori_loop`` for loops, ``vmap`` for
per-element scalar loops. 64-bit mode is enabled so float64/int64 workloads stay 64-bit, as the
issue asks (``jax_enable_x64``); float32 inputs stay float32 because Python scalars are weak.

Importing this module imports JAX; ``peers.JaxImpl`` does that lazily.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (must come after enabling x64)
from jax import lax  # noqa: E402

# Arguments that determine shapes or trip counts and so must be static under jax.jit.
STATIC_ARGNAMES: dict[str, tuple[str, ...]] = {
    "mandelbrot": ("max_iter",),
    "collatz_total": ("limit",),
    "kmeans_step": ("n_iter",),
}


def gelu(x):
    """GELU, ``x**3`` spelling."""
    return 0.5 * x * (1 + jnp.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def gelu_cube(x):
    """GELU, ``x*x*x`` spelling."""
    return 0.5 * x * (1 + jnp.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def softmax_rows(x):
    """Row softmax, the same formulation as the NumPy source."""
    m = jnp.max(x, axis=1, keepdims=True)
    e = jnp.exp(x - m)
    return e / jnp.sum(e, axis=1, keepdims=True)


def mandelbrot(xs, ys, max_iter):
    """Per-pixel ``lax.while_loop`` (escape test in the condition), ``vmap``-ed over the grid."""

    def pixel(cr, ci):
        def cond(state):
            zr, zi, n = state
            return (n < max_iter) & (zr * zr + zi * zi <= 4.0)

        def body(state):
            zr, zi, n = state
            zr2 = zr * zr
            zi2 = zi * zi
            return (zr2 - zi2 + cr, 2.0 * zr * zi + ci, n + 1)

        zero = jnp.zeros((), xs.dtype)
        _, _, n = lax.while_loop(cond, body, (zero, zero, jnp.zeros((), jnp.int64)))
        return n

    row = jax.vmap(pixel, in_axes=(0, None))
    return jax.vmap(row, in_axes=(None, 0))(xs, ys)


def collatz_total(limit):
    """Per-start ``lax.while_loop`` counting steps, ``vmap``-ed over the starts, then summed."""

    def steps(n):
        def body(state):
            n, s = state
            return (jnp.where(n % 2 == 0, n // 2, 3 * n + 1), s + 1)

        _, s = lax.while_loop(lambda st: st[0] != 1, body, (n, jnp.zeros((), jnp.int64)))
        return s

    return jnp.sum(jax.vmap(steps)(jnp.arange(1, limit + 1, dtype=jnp.int64)))


def mlp_layer(x, w, b):
    """Dense layer with ReLU."""
    return jnp.maximum(x @ w + b, 0)


def rnn(xs, h0, wx, wh, b):
    """tanh RNN with ``lax.scan`` over time; returns the last hidden state."""

    def step(h, x_t):
        return jnp.tanh(x_t @ wx + h @ wh + b), None

    h, _ = lax.scan(step, h0, xs)
    return h


def newton_sqrt(a):
    """Newton sqrt with ``lax.while_loop`` on the max change."""
    x = 0.5 * (a + 1.0)
    x_new = 0.5 * (x + a / x)

    def cond(state):
        x, x_new = state
        return jnp.max(jnp.abs(x_new - x)) >= 1e-6

    def body(state):
        _, x = state
        return (x, 0.5 * (x + a / x))

    _, x_new = lax.while_loop(cond, body, (x, x_new))
    return x_new


def dispatch(x):
    """Per-call overhead."""
    return x + 1


def kmeans_step(points, centroids, n_iter):
    """Lloyd iterations with ``lax.fori_loop``; same argmin + one-hot-matmul formulation."""
    k = centroids.shape[0]

    def step(_, c):
        diff = points[:, None, :] - c[None, :, :]
        dist = jnp.sum(diff * diff, axis=2)
        labels = jnp.argmin(dist, axis=1)
        onehot = (labels[:, None] == jnp.arange(k)[None, :]).astype(points.dtype)
        counts = jnp.sum(onehot, axis=0)
        means = (onehot.T @ points) / jnp.maximum(counts, 1.0)[:, None]
        return jnp.where(counts[:, None] > 0, means, c)

    return lax.fori_loop(0, n_iter, step, centroids)
