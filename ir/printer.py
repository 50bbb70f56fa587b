"""Textual IR and Graphviz DOT for graphs (JAX-style typed lines, MLIR-style nested regions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Graph, Kernel, Literal, Op, Region, Value


class _Namer:
    """Assigns printed names: the user's variable name (uniquified `.1`, `.2`) or `%N`."""

    def __init__(self):
        self.names: dict[int, str] = {}
        self.used: dict[str, int] = {}
        self.anon = 0

    def define(self, v: Value) -> str:
        if v.name_hint:
            k = self.used.get(v.name_hint, 0)
            self.used[v.name_hint] = k + 1
            name = f"%{v.name_hint}" if k == 0 else f"%{v.name_hint}.{k}"
        else:
            name = f"%{self.anon}"
            self.anon += 1
        self.names[id(v)] = name
        return name

    def use(self, v: Value) -> str:
        if isinstance(v, Literal):
            return f"{_literal(v.value)}:{v.type.dtype.name}"
        return self.names.get(id(v), "%<undefined>")


def _literal(x) -> str:
    if isinstance(x, float) and x == int(x) and abs(x) < 1e16:
        return repr(float(x))
    return repr(x)


def _attr(v: Any) -> str:
    if isinstance(v, np.ndarray):
        body = np.array2string(v, separator=", ", threshold=6, edgeitems=2).replace("\n", "")
        return f"array({body}, {v.dtype.name})"
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, Kernel):
        return str(v)
    return repr(v)


def _attrs(op: Op) -> str:
    shown = {k: v for k, v in op.attrs.items() if not (k == "python" and not v)}
    if not shown:
        return ""
    return "[" + ", ".join(f"{k}={_attr(shown[k])}" for k in sorted(shown)) + "]"


def _typed(namer: _Namer, v: Value) -> str:
    return f"{namer.define(v)}: {v.type}"


def _region_lines(namer: _Namer, region: Region, indent: int, locations: bool) -> list[str]:
    pad = "  " * indent
    lines = []
    for op in region.ops:
        lhs = ", ".join(_typed(namer, r) for r in op.results)
        operands = ", ".join(namer.use(v) for v in op.operands)
        text = f"{lhs} = " if lhs else ""
        text += f"{op.name}{_attrs(op)}" + (f" {operands}" if operands else "")
        if op.regions:
            text += " {"
        if locations and op.loc is not None:
            text += f"  # {op.loc}"
        lines.append(pad + text)
        for label, sub in zip(_region_labels(op), op.regions):
            args = ", ".join(_typed(namer, a) for a in sub.args)
            lines.append(f"{pad}  {label}" + (f"({args})" if args else "") + " {")
            lines.extend(_region_lines(namer, sub, indent + 2, locations))
            lines.append(f"{pad}  }}")
        if op.regions:
            lines.append(pad + "}")
    yields = ", ".join(namer.use(v) for v in region.yields)
    if indent > 1 or region.yields:
        lines.append(f"{pad}yield {yields}".rstrip())
    return lines


def _region_labels(op: Op) -> tuple[str, ...]:
    return {"cond": ("then", "else"), "while_loop": ("cond", "body")}.get(
        op.name, tuple(f"region{i}" for i in range(len(op.regions))))


def format_graph(graph: Graph, locations: bool = False) -> str:
    """`str(graph)`: one op per line, typed results, nested regions in braces."""
    namer = _Namer()
    params = ", ".join(_typed(namer, a) for a in graph.inputs)
    results = ", ".join(str(v.type) for v in graph.outputs)
    lines = [f"func @{graph.name}({params}) -> ({results}) {{"]
    body = _region_lines(namer, graph.body, 1, locations)
    if body and body[-1].lstrip().startswith("yield"):
        body[-1] = body[-1].replace("yield", "return", 1)
    lines.extend(body)
    lines.append("}")
    for name, kernel in graph.kernels.items():
        kn = _Namer()
        args = ", ".join(_typed(kn, a) for a in kernel.body.args)
        outs = ", ".join(str(v.type) for v in kernel.body.yields)
        lines.append(f"kernel @{name}({args}) -> ({outs}) {{")
        lines.extend(_region_lines(kn, kernel.body, 1, locations))
        lines.append("}")
    return "\n".join(lines)


def to_dot(graph: Graph) -> str:
    """Graphviz DOT: ops are nodes, data edges connect producers to users; each region is a
    `subgraph cluster_*`, so the nesting of `cond`/`while_loop` is visible."""
    namer = _Namer()
    out = [f'digraph "{graph.name}" {{', "  node [shape=box, fontname=monospace];"]
    node_of: dict[int, str] = {}
    counter = [0]

    def node(label: str, shape: str = "box") -> str:
        counter[0] += 1
        name = f"n{counter[0]}"
        label = label.replace('"', '\\"')
        out.append(f'  {name} [label="{label}", shape={shape}];')
        return name

    def edge(v: Value, dst: str):
        if isinstance(v, Literal):
            src = node(namer.use(v), "plaintext")
        else:
            src = node_of.get(id(v))
        if src:
            out.append(f"  {src} -> {dst};")

    def emit_region(region: Region, cluster: str, label: str):
        out.append(f'  subgraph "cluster_{cluster}" {{ label="{label}";')
        for a in region.args:
            node_of[id(a)] = node(_typed(namer, a), "ellipse")
        for i, op in enumerate(region.ops):
            results = ", ".join(_typed(namer, r) for r in op.results)
            n = node(f"{op.name}{_attrs(op)}" + (f"\\n{results}" if results else ""))
            for v in op.operands:
                edge(v, n)
            for r in op.results:
                node_of[id(r)] = n
            for label_, sub in zip(_region_labels(op), op.regions):
                emit_region(sub, f"{cluster}_{i}_{label_}", f"{op.name}.{label_}")
        y = node("yield", "diamond")
        for v in region.yields:
            edge(v, y)
        out.append("  }")

    emit_region(graph.body, "main", f"func @{graph.name}")
    out.append("}")
    return "\n".join(out)
