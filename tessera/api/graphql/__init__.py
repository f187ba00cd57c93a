"""The GraphQL API at /graphql: a Strawberry schema over the same domain services as /v2."""
