"""The engine: the structure of a graph, its plan, the passes and the record they leave.

- ``graph.Graph``: the structure (``input``, ``add``, ``connect``, ``sequential``) and the
  build-time checks, over a networkx ``MultiDiGraph``;
- ``plan.Plan``: the schedule, built once per change of the structure (topological order,
  who needs a gradient, fusion, the forward and backward steps);
- ``passes``: the forward and backward loops that run a plan;
- ``record.PassRecord``: what a pass computed, in the order it computed it (``g.last_pass``);
- ``kinds``: the error type and the kinds of node and of backward step; ``checks``: the
  checks and the messages that explain them; ``sharing``: layers that sit in several graphs;
- ``fast``: the fast path (the plan as straight-line code, for the feeds the passes have
  proven), which only ``graph`` enters.

Nothing here imports a view (rendering, profiling, plotting): views read the record.
"""
from .graph import Graph
from .kinds import (
    FUSED_STEP, INPUT, LAYER, LAYER_STEP, OBJECTIVE, OBJECTIVE_STEP, PARAMETERS_STEP, GraphError,
)
from .plan import Plan
from .record import BackwardStep, ForwardStep, PassRecord

__all__ = ["Graph", "GraphError", "Plan", "PassRecord", "ForwardStep", "BackwardStep",
           "INPUT", "LAYER", "OBJECTIVE", "OBJECTIVE_STEP", "FUSED_STEP", "LAYER_STEP",
           "PARAMETERS_STEP"]
