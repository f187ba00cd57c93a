"""Response bodies of /v2 as Pydantic models, for the OpenAPI document only.

Handlers keep returning the plain dicts the domain views build (validating every response
through a model would cost time on the hot paths, issue reads and search); routes name these
models in `responses=` instead, and tests/api/rest/test_openapi.py and the schemathesis run
check that real answers conform to them. A model lists what a view always sends; a key a view
may leave out has a default."""
