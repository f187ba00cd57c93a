"""Collaboration: comments and mentions, watchers and votes, attachments, live updates."""
