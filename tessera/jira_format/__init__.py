"""Issues and their parts rendered as Jira renders them: shared by the Jira-compatible API and webhooks."""
