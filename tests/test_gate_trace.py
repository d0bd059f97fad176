"""Gate traces: the same rows whatever the chunking, the model's own inputs, a clear error for
cells without gates, and a gates.csv that reads back."""

import numpy as np
import pytest
import torch

from pipeline.errors import ConfigError
from pipeline.models.gate_trace import GateTrace, GateTracer, trace_chunk
from pipeline.models.readable_lstm import ReadableLSTM
from pipeline.models.sequence import SequenceLabeler, SequenceSettings
from pipeline.outputs.gates import GATE_COLUMNS, read_gates_csv, write_gates_csv

FIELDS = ("forget", "input", "output", "cell_norm", "cell_change", "top_forget_delta")


def _model(**kw) -> SequenceLabeler:
    torch.manual_seed(0)
    kw = {"hidden_size": 16, "num_layers": 2, "similarity_lags": [1, 4], "delta": True, **kw}
    return SequenceLabeler(24, 4, SequenceSettings(**kw)).eval()


def _traced(model: SequenceLabeler, feats: torch.Tensor, chunk: int) -> GateTrace:
    """The trace of `feats` computed `chunk` frames at a time, as a labeling loop would."""
    tracer, state, parts = GateTracer(model, top_k=3), None, []
    with torch.no_grad():
        for start in range(0, feats.shape[1], chunk):
            piece = feats[:, start : start + chunk]
            parts.append(tracer(piece, state))
            _, state = model.step(piece, state)
    return GateTrace.concat(parts)


def test_rows_are_the_same_whatever_the_chunking():
    model = _model()
    feats = torch.randn(1, 300, 24)
    whole = _traced(model, feats, 300)
    for chunk in (1, 7, 64):
        got = _traced(model, feats, chunk)
        for name in FIELDS:
            assert np.abs(getattr(got, name) - getattr(whole, name)).max() <= 1e-5, (chunk, name)
        assert np.array_equal(got.top_units, whole.top_units), chunk
    assert (whole.top_units[0] == -1).all() and (whole.top_units[1:] >= 0).all()


def test_trace_follows_the_models_own_lstm():
    """The traced cell state is the model's: its last C equals the state step() carries."""
    model = _model(num_layers=1)
    feats = torch.randn(1, 50, 24)
    with torch.no_grad():
        _, state = model.step(feats)
    trace = trace_chunk(model, feats, None)
    assert trace.cell_norm[-1] == pytest.approx(float(state.c[-1, 0].norm()), abs=1e-5)
    assert ((trace.forget > 0) & (trace.forget < 1)).all()
    # the belt starts empty: the first change is |C_0|; later ones follow the carried C
    with torch.no_grad():
        _, early = model.step(feats[:, :20])
    later = trace_chunk(model, feats[:, 20:], early)
    assert np.allclose(later.cell_change, trace.cell_change[20:], atol=1e-6)
    with torch.no_grad():  # the gates are those of the model's inputs (projection + cues)
        _, _, gates = ReadableLSTM.from_lstm(model.core).run(model._inputs(feats, None))
    assert np.allclose(trace.input, gates.input[-1, 0].mean(1).numpy(), atol=1e-6)


def test_top_units_are_the_largest_forget_changes():
    model = _model(num_layers=1)
    feats = torch.randn(1, 20, 24)
    trace = trace_chunk(model, feats, None, top_k=16)
    with torch.no_grad():
        _, _, gates = ReadableLSTM.from_lstm(model.core).run(model._inputs(feats, None))
    f = gates.forget[0, 0].numpy()  # (T, H)
    change = np.abs(np.diff(f, axis=0))  # (T-1, H)
    assert np.array_equal(trace.top_units[1:, 0], change.argmax(1))
    assert np.allclose(np.abs(trace.top_forget_delta[1:]), -np.sort(-change, axis=1), atol=1e-6)


@pytest.mark.parametrize("core", ["gru", "rnn", "frame_only"])
def test_cells_without_gates_are_refused(core):
    model = _model(memory=False) if core == "frame_only" else _model(cell=core)
    with pytest.raises(ConfigError, match="--gates needs an LSTM model"):
        GateTracer(model)


def test_lookahead_model_traces_every_input_position():
    """With look-ahead, step() holds labels back, but the gates have one row per frame read."""
    model = _model(lookahead=3)
    feats = torch.randn(1, 30, 24)
    trace = _traced(model, feats, 7)
    assert len(trace) == 30
    assert np.allclose(trace.forget, _traced(model, feats, 30).forget, atol=1e-6)


def test_gates_csv_round_trip(tmp_path):
    model = _model()
    trace = _traced(model, torch.randn(1, 40, 24), 7)
    frames, pts = np.arange(40) * 2, np.arange(40) * 0.08
    path = write_gates_csv(tmp_path / "clip.gates.csv", frames, pts, trace)
    header = path.read_text().splitlines()[0].split(",")
    assert (
        tuple(header[:6])
        == GATE_COLUMNS
        == ("frame", "pts_s", "forget", "input", "output", "cell_norm")
    )
    back = read_gates_csv(path)
    assert np.array_equal(back.frames, frames)
    assert np.allclose(back.forget, trace.forget, atol=1e-6)
    assert np.allclose(back.cell_change, trace.cell_change, atol=1e-6)
    assert np.array_equal(back.top_units[1:], trace.top_units[1:])
    assert (back.top_units[0] == -1).all()  # the first frame lists no units
    with pytest.raises(Exception, match="exists"):
        write_gates_csv(path, frames, pts, trace)
    assert not list(tmp_path.glob(".*part*"))  # no temp file left behind


def test_the_report_reads_the_written_gates(tmp_path):
    from pipeline.report.data import read_gates

    trace = _traced(_model(), torch.randn(1, 30, 24), 7)
    path = write_gates_csv(tmp_path / "clip.gates.csv", np.arange(30), np.arange(30) / 25, trace)
    shown = read_gates(path)
    assert shown is not None and np.array_equal(shown.frames, np.arange(30))
    assert np.allclose(shown.forget, trace.forget, atol=1e-6)
