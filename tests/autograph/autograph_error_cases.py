"""User functions that cannot be converted or staged (line numbers are asserted by the tests)."""

import numpy as np

COUNTER = 0


def generator(x):
    for i in range(3):
        yield x * i


def writes_global(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return x


def try_around_loop(x, n):
    try:
        for i in range(n):
            x = x + 1
    except ValueError:
        pass
    return x


def one_branch_only(x):
    if x.sum() > 0:
        y = x * 2
    return y


def returns_none_on_some_paths(x):
    if x > 0:
        return x


def dtype_changes_in_loop(x, n):
    acc = np.int64(0)
    for i in range(n):
        acc = acc + x[i]
    return acc


def bool_of_traced(x):
    return bool(x > 0)


def raises_inside(x, n):
    for i in range(n):
        if x[i] > 0:
            x = x + np.ones(3)[:2]
    return x
