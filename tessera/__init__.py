"""Tessera: a Jira-class ticketing system."""

__version__ = "0.1.0"
