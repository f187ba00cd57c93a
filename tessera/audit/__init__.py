"""The audit trail: who did what, when and from where, hash-chained per organization.

See tessera.audit.chain for how records are written and chained, tessera.audit.verify for how
a chain is checked, tessera.audit.queries for reading it."""
