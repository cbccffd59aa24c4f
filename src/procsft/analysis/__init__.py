"""Analysis: pass rates, procedural delta, intervals and the report."""
