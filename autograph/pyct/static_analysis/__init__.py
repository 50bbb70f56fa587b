"""Static analyses over a function's AST: activity, reaching definitions, liveness."""
