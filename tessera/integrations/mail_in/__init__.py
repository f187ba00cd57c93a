"""Email in: mail to a project's address creates an issue; a reply to a notification adds a
comment. One parser (parsing.py) serves both receiving paths, the SMTP listener (smtp.py) and
the IMAP poller (imap.py); receive.py decides what a parsed message does."""
