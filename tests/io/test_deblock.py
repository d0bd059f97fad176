"""Decoding without the in-loop deblocking filter (`Preprocessing.deblock`): real H.264, the
same frames at a model's size within a grey level or two, and the checkpoint's word on it."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from pipeline.checkpoint.load import build_bundle_encoder, load_labeler
from pipeline.checkpoint.peek import peek_input_settings
from pipeline.encoders import EncoderSpec, Preprocessing, build_encoder
from pipeline.io import open_video


def _frames(path, deblock: bool, size=None, model_size=None):
    with open_video(path, size=size, model_size=model_size, deblock=deblock) as reader:
        return [(f.index, f.rgb, f.model_rgb) for f in reader]


def test_skipping_the_filter_changes_full_frames_not_the_model_sized_ones(bikes_mp4):
    filtered = _frames(bikes_mp4, True, model_size=(64, 36))
    skipped = _frames(bikes_mp4, False, model_size=(64, 36))
    assert [i for i, _, _ in skipped] == [i for i, _, _ in filtered] == list(range(250))
    pairs = list(zip(filtered, skipped, strict=True))
    full_diff = [np.abs(a.astype(int) - b).mean() for (_, a, _), (_, b, _) in pairs]
    assert max(full_diff) > 0.05  # the filter was really skipped: the pictures differ
    small_diff = [np.abs(a.astype(int) - b).mean() for (*_, a), (*_, b) in pairs]
    # what a cue encoder sees moves by about half a grey level (up to ~2 late in a GOP)
    assert np.median(small_diff) < 1.0 and max(small_diff) < 2.5, small_diff


def test_preprocessing_says_deblock_only_when_it_is_skipped():
    cues = build_encoder(EncoderSpec("cues_regions", input_size=64)).preprocessing
    assert cues.deblock is False and cues.to_dict()["deblock"] is False
    assert Preprocessing.from_dict(cues.to_dict()) == cues
    with_filter = dataclasses.replace(cues, deblock=True)
    assert "deblock" not in with_filter.to_dict()  # the keys of older caches and checkpoints
    assert Preprocessing.from_dict(with_filter.to_dict()).deblock is True
    assert with_filter.same_input(cues) and with_filter != cues


def test_a_checkpoint_decodes_as_it_says(tmp_path):
    from pipeline.checkpoint.bundled import default_model_path

    checkpoint = torch.load(default_model_path(), map_location="cpu", weights_only=True)
    for deblock in (True, False):
        pre = dict(checkpoint["hyper_parameters"]["preprocessing"])
        pre.pop("deblock", None)
        if not deblock:
            pre["deblock"] = False
        checkpoint["hyper_parameters"]["preprocessing"] = pre
        path = tmp_path / f"deblock_{deblock}.ckpt"
        torch.save(checkpoint, path)
        bundle = load_labeler(path)
        assert bundle.preprocessing.deblock is deblock
        assert peek_input_settings(path).deblock is deblock
        build_bundle_encoder(bundle)  # the cue encoder itself prefers False: no mismatch
