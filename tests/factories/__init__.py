"""Shared builders of test data and test infrastructure, one home for what several suites use."""
