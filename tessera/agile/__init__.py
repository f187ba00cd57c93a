"""Boards, sprints and ranking."""
