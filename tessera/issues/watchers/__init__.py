"""Watchers and votes: who follows an issue and who wants it done."""
