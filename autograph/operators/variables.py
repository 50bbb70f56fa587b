"""Placeholders for variables without a value yet, and the function return helper."""


class Undefined:
    """The value of a variable that has not been assigned yet (`x = ag__.Undefined('x')`).

    The converted code binds a variable first assigned inside an `if` or a loop to this
    placeholder so that the statement's state functions can name it. Using it the way Python
    would use an unbound local raises Python's own error; a staged `if` or loop that needs its
    value reports it by name.
    """

    __slots__ = ("symbol_name",)

    def __init__(self, symbol_name):
        self.symbol_name = symbol_name

    def __repr__(self):
        return f"<undefined {self.symbol_name}>"

    def _unbound(self, *args, **kwargs):
        raise UnboundLocalError(f"cannot access local variable '{self.symbol_name}' where it "
                                f"is not associated with a value")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)  # Protocol probes (copy, NumPy) must see "no such".
        self._unbound()

    __getitem__ = __setitem__ = __call__ = __iter__ = __len__ = __bool__ = _unbound
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unbound
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _unbound
    __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _unbound
    __neg__ = __pos__ = __abs__ = __invert__ = __index__ = __int__ = __float__ = _unbound
    __lt__ = __le__ = __gt__ = __ge__ = _unbound
    __array__ = __array_ufunc__ = __array_function__ = _unbound


class UndefinedReturnValue(Undefined):
    """The return value of a function that has not executed a `return` yet."""

    __slots__ = ()

    def __init__(self):
        super().__init__("retval_")

    def __repr__(self):
        return "<no return value yet>"


def is_undefined(value):
    """Whether `value` is an Undefined placeholder (including UndefinedReturnValue)."""
    return isinstance(value, Undefined)


def retval(value):
    """What the converted function returns: None if no `return` ran, as in Python."""
    if isinstance(value, UndefinedReturnValue):
        return None
    if isinstance(value, Undefined):
        value._unbound()
    return value


def ld(value):
    """Loads a variable that may be undefined, raising Python's error if it is."""
    if isinstance(value, Undefined):
        value._unbound()
    return value
