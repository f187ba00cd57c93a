"""`tessera import jira`: sources (export files, and a live site pulled into a spool of the
same files: live, client, boards), the survey of what the issues refer to, the editable mapping,
the catalog it creates, the rows of each issue (bodies: rich text by the source's format) and the
chunked bulk pipeline (tessera.importing.jira.pipeline.import_jira), then attachments."""
