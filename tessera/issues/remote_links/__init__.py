"""Links from issues to remote resources (Jira's remote issue links)."""
