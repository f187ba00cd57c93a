"""What every edge checks of what a client sends before anything reads it: JSON that nests
within a limit, and text that both databases store alike. Below every domain package, so the
WebSocket hub uses it as the HTTP edges do."""
