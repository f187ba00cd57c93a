"""Attachments: models, the service, upload staging, content sniffing, storage use and object stores."""
