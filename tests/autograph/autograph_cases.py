"""Module-level user functions exercised by the AutoGraph tests (AutoGraph needs their source)."""

import numpy as np

import flowjit as fj


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def sign_branch(x):
    if x > 0:
        y = x * 2
    elif x < 0:
        y = -x
    else:
        y = x + 100
    return y


def partial_reassign(x, a, b):
    # Only some variables are reassigned by each branch.
    if x.sum() > 0:
        a = a + 1
    else:
        b = b * 2
    return a, b


def sum_range(x, n):
    s = np.float64(0)
    for i in range(n):
        s = s + x[i]
    return s


def sum_range_step(x, start, stop, step):
    s = 0.0
    k = np.int64(0)
    for i in range(start, stop, step):
        s = s + x[i] * i
        k = k + 1
    return s, k


def break_first(x, n):
    s = np.float64(0)
    for i in range(n):
        if x[i] > -100:
            break
        s = s + x[i]
    return s


def while_break_continue(x, n):
    i = np.int64(0)
    s = np.float64(0)
    while i < n:
        i = i + 1
        if x[i - 1] < 0:
            continue
        if s > 10:
            break
        s = s + x[i - 1]
    return s, i


def nested_return(x, n):
    for i in range(n):
        for j in range(n):
            if x[i] + x[j] > 5:
                return x[i] * x[j]
    return x[0] - 1


def first_defined_in_loop(x, n):
    s = x[0]
    for i in range(n):
        t = x[i] * 2
        s = s + t
        last = t
    return s + last


def early_return(x):
    if x[0] > 0:
        return x[0]
    return -x[1]


def for_rows(m):
    total = np.zeros(m.shape[1])
    for row in m:
        total = total + row * row
    return total


def enumerate_rows(v):
    acc = np.float64(0)
    for i, e in enumerate(v):
        acc = acc + i * e
    return acc


def zip_arrays(a, b):
    acc = np.float64(0)
    for p, q in zip(a, b):
        acc = acc + p * q
    return acc


def logical_ops(x, n):
    i = np.int64(0)
    count = np.int64(0)
    while i < n and x[i] >= 0:
        if x[i] > 1 or not x[i] < 3:
            count = count + 1
        i = i + 1
    return count


def chained(x, lo, hi):
    if lo < x < hi:
        r = x
    else:
        r = x * 0
    return r


def inplace_update(a, n):
    for i in range(n):
        a[i] = a[i] * 2 + 1
        a[i] += 1
    return a.sum()


def python_list_unrolls(x):
    out = []
    for i in range(3):
        out.append(x * i)
    return out[0] + out[1] + out[2]


def helper(v):
    if v > 0:
        return v * 10
    return v


def calls_helper(x):
    return helper(x) + helper(-x)


def python_range_staged(x):
    s = x[0] * 0
    for i in range(1000):
        s = s + x[i % 4] * i
    return s


def static_condition(x, flag):
    if flag:
        x = x + 1
    return x


def while_python_counter(x):
    i = 0
    while i < 3:
        x = x * 2
        i += 1
    return x


def prints_in_loop(x, n):
    for i in range(n):
        if x[i] > 0:
            print("positive", i, x[i])
    print("done", n)
    return x.sum()


def asserts_positive(x):
    assert x > 0, "x must be positive"
    return x * 2


def nested_def(x):
    def inner(v):
        if v > 0:
            return v * 3
        return -v

    return inner(x) + inner(-x)


def explicit_cond_with_def(x):
    def true_fn():
        if x > 10:
            return x * 100
        return x * 2

    def false_fn():
        return x

    return fj.cond(x > 0, true_fn, false_fn)


def with_lambda(x):
    f = lambda v: v if v > 0 else -v  # noqa: E731
    return f(x) + 1


class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        if x > 0:
            return x * self.k
        return x


def method_call(x):
    return Scaler(3).apply(x)


WEIGHTS = [np.float64(1.0), np.float64(2.0), np.float64(3.0)]


def python_list_indexed_by_loop_index(x):
    s = x * 0
    for i in range(3):
        s = s + x * WEIGHTS[i]
    return s


def traced_while_defines_variable(x):
    i = np.int64(0)
    while i < 3:
        y = x * i
        i = i + 1
    return y


def min_max_builtins(a, b):
    return max(a, b) - min(a, b)


def staged_state_with_list_append(x):
    s = x * 0
    out = []
    for i in range(3):
        s = s + x * i
        out.append(s)
    return out[0] + out[1] + out[2]


def mutates_dict_in_loop(x):
    d = {}
    for i in range(3):
        d.update({i: x * i})
    return d[0] + d[2]
