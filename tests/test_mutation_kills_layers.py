"""Tests that kill mutants of graphnn/layers (docs/reliability.md, "Mutation testing")."""
