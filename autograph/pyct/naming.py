"""Fresh symbol names that collide with nothing the user's function mentions."""

import gast


class Namer:
    """Hands out names unused by the function and by earlier calls.

    Args:
      node: the function's AST; every identifier in it is reserved.
      global_names: names from the function's globals and closure, also reserved (a generated
        name must not shadow a global the user's code reads).
    """

    def __init__(self, node=None, global_names=()):
        self._used = set(global_names)
        if node is not None:
            self._used |= all_identifiers(node)

    def new_symbol(self, base, reserved=()):
        """Returns `base`, or `base_1`, `base_2`, ... whichever is free; marks it used."""
        name, i = base, 0
        while name in self._used or name in reserved:
            i += 1
            name = f"{base}{i}" if base.endswith("_") else f"{base}_{i}"
        self._used.add(name)
        return name

    def reserve(self, names):
        """Marks `names` as used."""
        self._used.update(names)


def all_identifiers(node):
    """Every identifier bound or read anywhere in `node` (names, args, defs, attributes)."""
    names = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Name):
            names.add(n.id)
        elif isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, (gast.Global, gast.Nonlocal)):
            names.update(n.names)
        elif isinstance(n, gast.alias):
            names.add((n.asname or n.name).split(".")[0])
    return names
