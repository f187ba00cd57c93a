"""Bringing another tracker's data into an organization (tessera.importing.jira for Jira)."""
