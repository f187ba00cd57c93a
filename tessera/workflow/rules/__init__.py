"""Workflow rules: conditions, validators and post-functions, each a small class registered by
name in a closed registry. Definitions name them as data: {"type": "...", "params": {...}}."""
