"""Per-group similarities in the sequence model (`similarity_groups`), as the default model uses."""

from __future__ import annotations

import pytest
import torch

from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceLabeler, SequenceSettings


def _model(groups: tuple[int, ...], lookahead: int = 0) -> SequenceLabeler:
    torch.manual_seed(0)
    settings = SequenceSettings(
        hidden_size=8,
        appearance=False,
        similarity_lags=(1, 3),
        similarity_groups=groups,
        lookahead=lookahead,
    )
    return SequenceLabeler(6, 3, settings).eval()


def test_one_similarity_per_group_and_lag() -> None:
    model = _model((2, 4))
    feats = torch.randn(1, 5, 6)
    x = model._inputs(feats, None)  # (B, T, lags * groups)
    assert x.shape == (1, 5, 4)
    # group 2 unchanged between frames, group 1 flipped: similarity 1 and -1 at lag 1
    feats[0, 1, :2] = -feats[0, 0, :2]
    feats[0, 1, 2:] = feats[0, 0, 2:]
    x = model._inputs(feats, None)
    torch.testing.assert_close(x[0, 1, :2], torch.tensor([-1.0, 1.0]))


def test_streaming_equals_offline_with_groups_and_lookahead() -> None:
    model = _model((2, 4), lookahead=2)
    feats = torch.randn(1, 11, 6)
    with torch.no_grad():
        offline = model(feats)
        state, rows = None, []
        for chunk in feats.split(3, dim=1):
            out, state = model.step(chunk, state)
            rows.append(out)
        rows.append(model.finish(state))
    torch.testing.assert_close(torch.cat(rows, 1), offline, atol=1e-5, rtol=1e-5)


def test_groups_must_cover_the_features() -> None:
    with pytest.raises(ConfigError, match="sum to 5"):
        _model((2, 3))
    with pytest.raises(ConfigError, match="sizes >= 1"):
        SequenceSettings(similarity_lags=(1,), similarity_groups=(0, 6))
