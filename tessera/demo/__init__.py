"""Demo data and bulk loading."""
