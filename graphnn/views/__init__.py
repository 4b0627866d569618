"""What a person looks at: diagrams of the network and of the gradient flow (render, the door
to network and gradients), the replay of a pass (replay, with its rules and replay_drawing;
player), the per-node profile, the training monitor, the summary table and the learning curves.
Every diagram draws with one public kit (drawing). Views read a graph and its record; the
engine never imports them."""
