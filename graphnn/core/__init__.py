"""The engine: the structure of a graph, its plan, the passes and the record they leave.

- ``graph.Graph``: the structure (``input``, ``add``, ``connect``, ``sequential``) and the
  build-time checks, over a networkx ``MultiDiGraph``;
- ``plan.Plan``: the schedule, built once per change of the structure (topological order,
  who needs a gradient, fusion, the forward and backward steps);
- ``passes``: the forward and backward loops that run a plan;
- ``record.PassRecord``: what a pass computed, in the order it computed it (``g.last_pass``).

Nothing here imports a view (rendering, profiling, plotting): views read the record.
"""
from .errors import INPUT, LAYER, OBJECTIVE, GraphError
from .graph import Graph
from .plan import Plan
from .record import BackwardStep, ForwardStep, PassRecord

__all__ = ["Graph", "GraphError", "Plan", "PassRecord", "ForwardStep", "BackwardStep",
           "INPUT", "LAYER", "OBJECTIVE"]
