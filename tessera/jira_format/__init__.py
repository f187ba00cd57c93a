"""Issues and their parts rendered as Jira renders them: shared by the Jira-compatible API and webhooks.
Also Jira's two rich-text formats to and from the Markdown Tessera stores: wiki markup
(wiki_markup, for the importer) and the Atlassian Document Format of Cloud's REST v3 (adf)."""
