"""TensorFlow versions of the workloads that have a direct TF spelling, for ``tf.function``.

Only used when TensorFlow is importable (it is not part of the ``bench`` extra: the wheel is
several hundred MB). Workloads missing here are reported as unavailable for TensorFlow rather
than approximated. Python loops over tensors are converted by ``tf.function``'s AutoGraph,
which is the comparison flowjit is modelled on.

Importing this module imports TensorFlow; ``peers.TensorFlowImpl`` does that lazily.
"""

from __future__ import annotations

import tensorflow as tf


def gelu(x):
    """GELU, ``x**3`` spelling."""
    return 0.5 * x * (1 + tf.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def gelu_cube(x):
    """GELU, ``x*x*x`` spelling."""
    return 0.5 * x * (1 + tf.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def softmax_rows(x):
    """Row softmax, the same formulation as the NumPy source."""
    m = tf.reduce_max(x, axis=1, keepdims=True)
    e = tf.exp(x - m)
    return e / tf.reduce_sum(e, axis=1, keepdims=True)


def mlp_layer(x, w, b):
    """Dense layer with ReLU."""
    return tf.maximum(x @ w + b, 0)


def rnn(xs, h0, wx, wh, b):
    """tanh RNN; AutoGraph turns the loop over a tensor range into a ``tf.while_loop``."""
    h = h0
    for t in tf.range(tf.shape(xs)[0]):
        h = tf.tanh(xs[t] @ wx + h @ wh + b)
    return h


def newton_sqrt(a):
    """Newton sqrt; AutoGraph turns the ``while`` into a ``tf.while_loop``."""
    x = 0.5 * (a + 1.0)
    x_new = 0.5 * (x + a / x)
    while tf.reduce_max(tf.abs(x_new - x)) >= 1e-6:
        x = x_new
        x_new = 0.5 * (x + a / x)
    return x_new


def dispatch(x):
    """Per-call overhead."""
    return x + 1
