"""Tests that kill mutants of graphnn/grading (docs/reliability.md, "Mutation testing")."""
