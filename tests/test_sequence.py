"""The sequence model's contracts: streaming = offline, causality, the frame-only baseline."""

import pytest
import torch

from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceLabeler, SequenceSettings


def _model(**kw) -> SequenceLabeler:
    torch.manual_seed(0)
    settings = SequenceSettings(hidden_size=16, num_layers=2, **kw)
    return SequenceLabeler(feature_dim=24, num_classes=4, settings=settings).eval()


def _streamed(model: SequenceLabeler, feats: torch.Tensor, chunk: int) -> torch.Tensor:
    """Logits of `feats` fed `chunk` frames at a time with the state carried, then finished."""
    state, parts = None, []
    with torch.no_grad():
        for start in range(0, feats.shape[1], chunk):
            logits, state = model.step(feats[:, start : start + chunk], state)
            parts.append(logits)
        parts.append(model.finish(state))
    return torch.cat(parts, 1)


@pytest.mark.parametrize("chunk", [1, 7, 64, 300])
def test_chunked_steps_equal_one_full_pass(chunk):
    model = _model()
    feats = torch.randn(1, 300, 24)
    with torch.no_grad():
        full = model(feats)
    assert torch.allclose(_streamed(model, feats, chunk).softmax(-1), full.softmax(-1), atol=1e-6)


def test_future_frames_do_not_change_the_past():
    model = _model()
    feats = torch.randn(1, 80, 24)
    changed = feats.clone()
    changed[:, 50:] = torch.randn(1, 30, 24)
    with torch.no_grad():
        a, b = model(feats), model(changed)
    assert torch.equal(a[:, :50], b[:, :50])
    assert not torch.allclose(a[:, 50:], b[:, 50:])


def test_the_lstm_carries_information_across_frames():
    model = _model()
    feats = torch.randn(1, 20, 24)
    changed = feats.clone()
    changed[:, 0] = torch.randn(1, 24)  # only the first frame differs
    with torch.no_grad():
        a, b = model(feats), model(changed)
    assert not torch.allclose(a[:, 10], b[:, 10])


def test_frame_only_model_sees_one_frame_at_a_time():
    model = _model(memory=False)
    feats = torch.randn(1, 20, 24)
    changed = feats.clone()
    changed[:, 0] = torch.randn(1, 24)
    with torch.no_grad():
        a, b = model(feats), model(changed)
    assert torch.equal(a[:, 1:], b[:, 1:])
    assert not torch.allclose(a[:, 0], b[:, 0])


def test_bidirectional_is_offline_only():
    model = _model(bidirectional=True)
    assert not model.causal
    with pytest.raises(RuntimeError, match="cannot be streamed"):
        model.step(torch.randn(1, 5, 24))


def test_padding_does_not_leak_into_a_bidirectional_model():
    model = _model(bidirectional=True)
    feats = torch.randn(2, 30, 24)
    feats[1, 20:] = 0.0
    with torch.no_grad():
        batched = model(feats, torch.tensor([30, 20]))
        alone = model(feats[1:, :20], torch.tensor([20]))
    assert torch.allclose(batched[1, :20], alone[0], atol=1e-6)


@pytest.mark.parametrize("chunk", [1, 5, 40])
def test_delta_features_stream_exactly(chunk):
    model = _model(delta=True)
    feats = torch.randn(1, 40, 24)
    with torch.no_grad():
        full = model(feats)
    assert torch.allclose(_streamed(model, feats, chunk), full, atol=1e-5)


def test_delta_lets_a_frame_only_model_see_a_change():
    model = _model(memory=False, delta=True)
    feats = torch.randn(1, 10, 24)
    changed = feats.clone()
    changed[:, 4] = torch.randn(1, 24)
    with torch.no_grad():
        a, b = model(feats), model(changed)
    assert not torch.allclose(a[:, 5], b[:, 5])  # frame 5's delta uses frame 4
    assert torch.equal(a[:, 7:], b[:, 7:])  # one frame back, no further


@pytest.mark.parametrize("chunk", [1, 3, 17, 50])
def test_similarity_lags_stream_exactly(chunk):
    model = _model(delta=True, similarity_lags=[1, 4, 16], appearance=False)
    feats = torch.randn(1, 50, 24)
    with torch.no_grad():
        full = model(feats)
    assert torch.allclose(_streamed(model, feats, chunk), full, atol=1e-5)


def test_similarity_inputs_ignore_what_the_picture_is():
    """Without appearance, a constant video gives the same output whatever its content."""
    model = _model(similarity_lags=[1, 2], appearance=False, memory=False)
    a, b = torch.randn(1, 24), torch.randn(1, 24)
    with torch.no_grad():
        out_a = model(a.expand(10, -1)[None])
        out_b = model(b.expand(10, -1)[None])
    assert torch.allclose(out_a, out_b, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_every_cell_streams_exactly(cell, chunk):
    model = _model(cell=cell, similarity_lags=[1, 3])
    feats = torch.randn(1, 64, 24)
    with torch.no_grad():
        full = model(feats)
    assert full.shape == (1, 64, 4)
    assert torch.allclose(_streamed(model, feats, chunk), full, atol=1e-5)


def test_cells_differ_in_what_they_carry():
    lstm, gru, rnn = (_model(cell=c) for c in ("lstm", "gru", "rnn"))
    assert isinstance(lstm.core, torch.nn.LSTM) and isinstance(gru.core, torch.nn.GRU)
    assert isinstance(rnn.core, torch.nn.RNN) and rnn.core.nonlinearity == "tanh"
    _, lstm_state = lstm.step(torch.randn(1, 3, 24))
    _, rnn_state = rnn.step(torch.randn(1, 3, 24))
    assert lstm_state.h is not None and lstm_state.c is not None
    assert rnn_state.h is not None and rnn_state.c is None


@pytest.mark.parametrize("chunk", [1, 2, 5, 40, 100])
def test_lookahead_streams_exactly_and_late(chunk):
    model = _model(lookahead=3, similarity_lags=[1, 2])
    feats = torch.randn(1, 40, 24)
    with torch.no_grad():
        full = model(feats)
        first, _ = model.step(feats[:, :2])
    assert first.shape[1] == 0  # frames 0 and 1 wait for frame 3
    streamed = _streamed(model, feats, chunk)
    assert streamed.shape == full.shape == (1, 40, 4)
    assert torch.allclose(streamed, full, atol=1e-5)


def test_lookahead_bounds_what_a_label_sees():
    """Frame t's label changes with frame t + d and never with anything later."""
    d = 3
    model = _model(lookahead=d)
    feats = torch.randn(1, 60, 24)
    later = feats.clone()
    later[:, 30:] = torch.randn(1, 30, 24)
    with torch.no_grad():
        a, b = model(feats), model(later)
    assert torch.equal(a[:, : 30 - d], b[:, : 30 - d])
    assert not torch.allclose(a[:, 30 - d], b[:, 30 - d])


def test_lookahead_repeats_each_videos_last_frame_in_a_batch():
    model = _model(lookahead=4)
    feats = torch.randn(2, 30, 24)
    feats[1, 20:] = 0.0
    with torch.no_grad():
        batched = model(feats, torch.tensor([30, 20]))
        alone = model(feats[1:, :20])
    assert torch.allclose(batched[1, :20], alone[0], atol=1e-6)


def test_a_stream_shorter_than_the_lookahead_still_labels_every_frame():
    model = _model(lookahead=5)
    feats = torch.randn(1, 2, 24)
    with torch.no_grad():
        assert torch.allclose(_streamed(model, feats, 1), model(feats), atol=1e-6)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"cell": "transformer"}, "cell='transformer'"),
        ({"lookahead": -1}, "lookahead=-1"),
        ({"appearance": False}, "no input"),
        ({"similarity_lags": [0]}, "lags >= 1"),
        ({"lookahead": 2, "bidirectional": True}, "bidirectional"),
    ],
)
def test_bad_settings_are_config_errors(bad, match):
    with pytest.raises(ConfigError, match=match):
        SequenceSettings(**bad)


def test_settings_load_by_name_whatever_the_order():
    hparams = {"lookahead": 2, "cell": "gru", "hidden_size": 8, "unrelated": 1, "memory": None}
    settings = SequenceSettings.from_hparams(dict(reversed(list(hparams.items()))))
    assert (settings.lookahead, settings.cell, settings.hidden_size) == (2, "gru", 8)
    assert settings.memory is True  # None means "not set": the default
    assert SequenceSettings.from_hparams(settings.to_dict()) == settings
