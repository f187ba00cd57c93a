"""The Jira-compatible API: `/rest/api/2/…` (also `/rest/api/latest/…`) and `/rest/agile/1.0/…`,
translating Jira Server's request and response shapes onto the same domain services as /v2."""
