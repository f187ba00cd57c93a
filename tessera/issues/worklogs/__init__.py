"""Work logged on issues (Jira's time tracking worklogs)."""
