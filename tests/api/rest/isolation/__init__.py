"""Two organizations on one server: nothing of organization A is visible, addressable or referenceable with B's token; another organization's resource answers exactly as a missing one does."""
