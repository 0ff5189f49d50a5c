"""IR -> Z3. The only package that imports z3."""
