"""The sequence model's contracts: streaming = offline, causality, the frame-only baseline."""

import pytest
import torch

from pipeline.models.sequence import SequenceLabeler


def _model(**kw) -> SequenceLabeler:
    torch.manual_seed(0)
    return SequenceLabeler(feature_dim=24, num_classes=4, hidden_size=16, num_layers=2, **kw).eval()


def _streamed(model: SequenceLabeler, feats: torch.Tensor, chunk: int) -> torch.Tensor:
    """Logits of `feats` fed `chunk` frames at a time with the state carried."""
    state, parts = None, []
    with torch.no_grad():
        for start in range(0, feats.shape[1], chunk):
            logits, state = model.step(feats[:, start : start + chunk], state)
            parts.append(logits)
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
