"""Notifications (FR8): who is told what, on which channel, batched; the in-app inbox."""
