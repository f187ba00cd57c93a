"""Tests of tessera.integrations."""
