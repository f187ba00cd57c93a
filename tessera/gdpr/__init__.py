"""Data rights of one user (GDPR articles 15, 17 and 20): export everything stored about them,
and erase them by anonymising their personal data everywhere while issues, comments, history and
the audit chain stay whole.

Where personal data can sit is read from the schema itself (tessera.gdpr.columns), not from a
hand-kept list, so a table added later is covered: rows that name the user by a foreign key
(exported), and every text and JSON column of the organization's rows (searched for their email
and name at erasure). The audit log keeps its own rules (tessera.audit.redaction)."""
