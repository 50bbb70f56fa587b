"""pyct: a generic toolkit to parse, analyze, rewrite and reload Python source (no flowjit IR)."""
