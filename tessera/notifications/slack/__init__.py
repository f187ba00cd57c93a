"""The Slack channel: incoming webhooks, one per user (their own DM or channel) and one per
project (its team channel), stored encrypted; Block Kit messages posted through the one outbound
HTTP client."""
