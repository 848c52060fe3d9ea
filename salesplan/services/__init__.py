"""Core services: every write and computation of the core, split by topic."""
