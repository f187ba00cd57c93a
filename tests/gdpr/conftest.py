"""Organizations without passwords, as the audit tests have them: Argon2 is slow on purpose, and
no test here signs in with one."""

from tests.audit.conftest import org, other_org  # noqa: F401
