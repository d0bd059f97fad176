"""Labeling with a light encoder runs the model on one CPU thread, leaving the other cores to
the decoder; a CNN encoder keeps every thread. The count is restored afterwards."""

from __future__ import annotations

import pytest
import torch

from pipeline.api import default_model_path
from pipeline.checkpoint.load import build_bundle_encoder, load_labeler
from pipeline.encoders import EncoderSpec, build_encoder
from pipeline.label.labeler import StreamingLabeler


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _threads_while_labeling(encoder) -> int:
    model = load_labeler(default_model_path()).model
    labeler = StreamingLabeler(model, encoder, torch.device("cpu"))
    with labeler.cpu_threads():
        return torch.get_num_threads()


def test_the_cue_model_labels_on_one_thread_and_restores_the_count(two_threads):
    bundle = load_labeler(default_model_path())
    assert _threads_while_labeling(build_bundle_encoder(bundle)) == 1
    assert torch.get_num_threads() == 2


def test_a_cnn_encoder_keeps_every_thread(two_threads):
    cnn = build_encoder(EncoderSpec("efficientnet_lite0", input_size=64, weights="none"))
    assert _threads_while_labeling(cnn) == 2
    assert torch.get_num_threads() == 2
