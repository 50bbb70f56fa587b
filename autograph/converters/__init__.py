"""AST rewrites, one per module; each exposes `transform(node, ctx) -> node`."""
