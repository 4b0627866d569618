"""Tests that kill mutants of graphnn/core (docs/reliability.md, "Mutation testing")."""
