"""k-means clustering of Fisher's Iris data (examples/data/iris.csv), compiled.

The whole Lloyd loop is one compiled function: squared distances by broadcasting, `argmin`
per point, the centroid update as per-cluster sums and counts, and a `break` when no label
changes (a traced condition, so the loop is a `while_loop` op with an early exit). The labels
are checked to equal eager NumPy's exactly, from the same initial centroids.

    python examples/kmeans.py
"""

import csv
import itertools
import pathlib
import time

import numpy as np

import flowjit as fj

DATA = pathlib.Path(__file__).resolve().parent / "data" / "iris.csv"


def load_iris():
    """(features float64 (150, 4), species names (150,)) from examples/data/iris.csv."""
    with open(DATA, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    assert header[-1] == "species", header
    x = np.array([[float(v) for v in r[:4]] for r in rows])
    species = np.array([r[4] for r in rows])
    return x, species


def kmeans(x, centroids, max_iter):
    """Lloyd's algorithm from `centroids` (k, d); returns (labels, centroids, iterations)."""
    k = centroids.shape[0]
    labels = np.full(x.shape[0], -1, dtype=np.int64)
    iterations = 0
    for _ in range(max_iter):
        diff = x[:, None, :] - centroids[None, :, :]          # (n, k, d)
        dist = (diff * diff).sum(axis=2)                        # (n, k)
        new_labels = np.argmin(dist, axis=1)                    # (n,)
        onehot = new_labels[:, None] == np.arange(k)[None, :]   # (n, k) bool
        counts = onehot.sum(axis=0)                             # (k,)
        sums = (onehot[:, :, None] * x[:, None, :]).sum(axis=0)  # (k, d)
        # An empty cluster keeps its centroid.
        centroids = np.where(counts[:, None] > 0,
                             sums / np.maximum(counts, 1)[:, None], centroids)
        iterations += 1
        changed = np.any(new_labels != labels)
        labels = new_labels
        if not changed:
            break
    return labels, centroids, iterations


compiled = fj.function(kmeans)


def agreement(labels, species):
    """The fraction of points whose cluster, under the best cluster -> species matching,
    is their species."""
    names = sorted(set(species))
    k = int(labels.max()) + 1
    best = 0
    for perm in itertools.permutations(names, k):
        best = max(best, int(sum(np.sum((labels == c) & (species == s))
                                 for c, s in enumerate(perm))))
    return best / len(species)


def main(copies: int = 1, repeats: int = 200, k: int = 3, seed: int = 0) -> None:
    """Cluster the Iris data (tiled `copies` times with a small deterministic jitter, to time a
    larger problem) into `k` clusters from `k` points drawn with `seed`."""
    x, species = load_iris()
    if copies > 1:
        jitter = np.random.default_rng(1).normal(0, 0.01, (copies - 1,) + x.shape)
        x = np.concatenate([x] + list(x[None] + jitter))
        species = np.tile(species, copies)
    init = x[np.random.default_rng(seed).choice(len(x), k, replace=False)]
    max_iter = 100

    labels, centroids, iterations = compiled(x, init, max_iter)
    eager_labels, eager_centroids, eager_iterations = kmeans(x, init, max_iter)
    np.testing.assert_array_equal(labels, eager_labels)
    np.testing.assert_allclose(centroids, eager_centroids, rtol=1e-12)
    assert iterations == eager_iterations
    print(f"k-means of {len(x)} Iris points x 4 features, k={k}: converged after "
          f"{iterations} iterations; labels equal eager NumPy's exactly")
    for c in range(k):
        members = species[labels == c]
        counts = ", ".join(f"{s} {int(np.sum(members == s))}" for s in sorted(set(species)))
        print(f"  cluster {c}: {len(members):4d} points ({counts})")
    print(f"  agreement with the species: {agreement(labels, species):.1%}")

    def best_time(fn):
        best = float("inf")
        for _ in range(max(repeats // 10, 1)):
            t0 = time.perf_counter()
            for _ in range(10 if repeats >= 10 else 1):
                fn(x, init, max_iter)
            best = min(best, (time.perf_counter() - t0) / (10 if repeats >= 10 else 1))
        return best

    t_native, t_eager = best_time(compiled), best_time(kmeans)
    print(f"  native {t_native * 1e6:.0f} us vs eager NumPy {t_eager * 1e6:.0f} us per "
          f"clustering: {t_eager / t_native:.1f}x")


if __name__ == "__main__":
    main()
