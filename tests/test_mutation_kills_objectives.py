"""Tests that kill mutants of graphnn/objectives (docs/reliability.md, "Mutation testing")."""
