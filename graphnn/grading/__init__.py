"""Checking code against the contract of a layer or an objective: ``check_layer`` and
``check_objective`` (checks), ``wrap`` for a student's class (adapter), the finite-difference
gradient checks (gradcheck) and ``find_nonfinite`` (diagnose)."""
