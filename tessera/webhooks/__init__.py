"""Outgoing webhooks (FR7): registrations, Jira-shaped payloads, signed deliveries."""
