"""`tessera import jira`: sources (export files; a live REST source yields the same issue dicts),
the survey of what the issues refer to, the editable mapping, the catalog it creates, the rows of
each issue and the chunked bulk pipeline (tessera.importing.jira.pipeline.import_jira)."""
