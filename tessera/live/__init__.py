"""Live updates: committed outbox events fanned out to WebSocket subscribers on every server
process (through Redis when it is configured), with presence, typing and bounded replay.

No web framework in here: the transport (tessera/api/rest/routers/live.py) hands each socket
to `LiveHub` as a pair of send/close callables."""
