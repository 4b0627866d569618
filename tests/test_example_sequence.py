"""examples/sequence.py, run as a user runs it (a subprocess) with small settings: both
networks' validation loss falls, the gradient reaching the
first time step is a smaller share of the last one's in the RNN than in the GRU, and the
figures, the folded diagrams and the replay are written."""
import re

from test_examples_training import PNG, run_example


def test_sequence_example_trains_an_rnn_and_a_gru_and_writes_its_pictures(tmp_path):
    out = tmp_path / "pictures"
    stdout = run_example("sequence.py", "--steps", "8", "--hidden", "8", "--epochs", "4",
                         "--rows", "400", "--out", str(out), cwd=tmp_path)
    pattern = (r"(rnn|gru): val loss ([\d.]+) -> ([\d.]+) \(always 1: ([\d.]+)\); mean \|grad\| at "
               r"h_1 / h_T: epoch 1 (\S+) / (\S+), epoch 2 (\S+) / (\S+), epoch 4 (\S+) / (\S+)")
    runs = {m[0]: [float(x) for x in m[1:]] for m in re.findall(pattern, stdout)}
    assert set(runs) == {"rnn", "gru"}, stdout
    for first, last, baseline, *_ in runs.values():
        assert last < first and last < 1.05 * baseline   # four epochs: learning, at the mean yet
    rnn, gru = runs["rnn"], runs["gru"]
    assert rnn[5] / rnn[6] < gru[5] / gru[6]          # h_1's share of h_T's gradient, epoch 2
    names = ["sequence_loss.png", "sequence_gradients.png", "sequence_rnn_network.png",
             "sequence_gru_network.png", "sequence_replay.html"]
    dots = ["sequence_rnn_network.dot", "sequence_gru_network.dot"]  # render keeps the DOT beside
    assert sorted(p.name for p in out.iterdir()) == sorted(names + dots)
    for name in names:
        assert f"wrote {out / name}" in stdout
        data = (out / name).read_bytes()
        if name.endswith(".png"):
            assert data.startswith(PNG)
        else:
            page = data.decode("utf-8")
            assert page.startswith("<!DOCTYPE html>") and "rnn.t4.hw" in page and "dW_hh" in page
