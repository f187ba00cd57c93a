"""JQL: grammar → AST → semantic checks against the field catalog → SQL."""
