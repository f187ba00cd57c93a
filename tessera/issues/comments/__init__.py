"""Comments on issues: models, the service, views, mentions and the Markdown they are written in."""
