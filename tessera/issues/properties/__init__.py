"""Issue properties: JSON values stored on an issue under a key (Jira's entity properties)."""
