"""The email channel: messages from Jinja2 templates (text and HTML), threaded per issue, sent
over one reused SMTP connection per worker (tessera.notifications.email.sender)."""
