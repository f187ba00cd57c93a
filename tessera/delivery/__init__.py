"""What leaves Tessera: the outgoing HTTP client that webhooks, Slack and Web Push share."""
