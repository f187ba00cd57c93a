"""Tests of tessera.integrations.ci."""
