"""The one request edge every transport uses (/v2, /rest, /graphql, the web pages, live sockets).

It authenticates a connection (API token, Basic, browser session, live ticket), settles its
organization's rate limit, and opens the unit of work, in that order: the limiter (Redis) is
never awaited while a database transaction is open. It also holds what several transports
share: Idempotency-Key handling, the request-size limit, the attachment upload and download
headers, and the scope a live subscription follows. Transports keep thin adapters (a FastAPI
dependency, Strawberry's context) and translate shapes; they never import one another.

Not a domain package: it may import FastAPI and Starlette. It sits above workers and below the
transports in the import-linter layers."""
