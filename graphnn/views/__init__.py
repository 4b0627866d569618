"""What a person looks at: diagrams of the network and of the gradient flow (render), the
replay of a pass (replay, player), the per-node profile, the training monitor, the summary table
and the learning curves. Views read a graph and its record; the engine never imports them."""
