"""CI/CD build and deployment status sent by CI servers (Jira's builds and deployments APIs, and
a plain /v2 form), kept as the latest state of each build and deployment and linked to the
organization's issues by key."""
