"""The model card: what labelled this video, as (field, value) rows.

Read from NAME.segments.json meta: `classes`, `model` (checkpoint path), `sampling`,
`post_processing`, `frames`, and when `label` stores them, `command` (argv list) and
`model_card` (a dict shown as is). Fields the meta lacks (encoder, input size, look-ahead) are
read from the checkpoint's hyperparameters when that file is still there.
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import Any

from pipeline.checkpoint.bundled import DEFAULT_MODEL
from pipeline.outputs.segments_json import SegmentsMeta

log = logging.getLogger(__name__)

NOT_STORED = "not stored in segments.json (written by an older framelabel label)"


def _fmt_sampling(sampling: Any) -> str:
    if not isinstance(sampling, dict):
        return "every frame"
    if sampling.get("fps"):
        return f"{sampling['fps']:g} frames/s"
    stride = int(sampling.get("stride") or 1)
    return "every frame" if stride == 1 else f"every {stride}th frame"


def _checkpoint_fields(path: str | None) -> dict[str, str]:
    """Encoder, input size, sequence model settings from the checkpoint, when readable."""
    if not path or not Path(path).is_file():
        return {}
    import torch  # only torch: pipeline.checkpoint.load would also import every encoder

    try:  # a checkpoint is untrusted input: tensors and plain types only
        hp = torch.load(path, map_location="cpu", weights_only=True).get("hyper_parameters", {})
    except Exception as err:  # torch raises many types for bad files; all mean "unreadable"
        log.warning("model card: cannot read %s (%s: %s)", path, type(err).__name__, err)
        return {}
    encoder = hp.get("encoder") or {}
    size = (hp.get("preprocessing") or {}).get("size")
    fields = {
        "encoder": _fmt_encoder(encoder),
        "input size": "x".join(str(s) for s in size) if size else "?",
        "feature dim": str(hp.get("feature_dim", "?")),
        "sequence model": f"LSTM hidden {hp.get('hidden_size', '?')}, "
        f"{hp.get('num_layers', 1)} layer(s), "
        f"{'bidirectional' if hp.get('bidirectional') else 'causal'}",
    }
    if hp.get("lookahead") is not None:
        fields["look-ahead"] = f"{hp['lookahead']} frames"
    return fields


# model_card keys that rows of their own already show (classes, checkpoint, sampling, framing)
SHOWN_ELSEWHERE = {"classes", "checkpoint", "sampling", "framing"}


def checkpoint_name(path: str | None) -> str:
    """The checkpoint as a shared page may name it: the bundled model by that name, any other
    by its file name only (a full path tells readers of the page about the labeller's disk)."""
    if not path:
        return "unknown"
    if Path(path).name == DEFAULT_MODEL and Path(path).parent.name == "assets":
        return f"the bundled default model ({DEFAULT_MODEL})"
    return Path(path).name


def _fmt_encoder(encoder: Any) -> str:
    """`cues, 64 px, no weights` / `resnet18, 224 px, weights: pretrained`."""
    if not isinstance(encoder, dict):
        return _text(encoder)
    name = str(encoder.get("name", "?"))
    size = f", {encoder['input_size']} px" if encoder.get("input_size") else ""
    if name.startswith("cues"):  # hand-made measures: there is nothing to load
        return f"{name}{size}, no weights (hand-made cues)"
    weights = encoder.get("weights", "?")
    if isinstance(weights, str) and ("/" in weights or "\\" in weights):
        weights = Path(weights).name
    return f"{name}{size}, weights: {weights}"


def _card_rows(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The stored model_card dict as rows, without what other rows show."""
    rows = []
    for key, value in card.items():
        if key in SHOWN_ELSEWHERE:
            continue
        rows.append((str(key), _fmt_encoder(value) if key == "encoder" else _text(value)))
    return rows


def _command_text(command: Any) -> str:
    """The command line with absolute paths cut to their file names (see `checkpoint_name`)."""
    if not command:
        return NOT_STORED
    words = [Path(w).name if os.path.isabs(str(w)) else str(w) for w in command]
    return shlex.join(words)


def model_card(meta: SegmentsMeta) -> list[tuple[str, str]]:
    """Rows of the model card, most important first; each field once."""
    rows: list[tuple[str, str]] = [
        ("classes", ", ".join(str(c) for c in meta.classes)),
        ("checkpoint", checkpoint_name(meta.model)),
        ("sampling", _fmt_sampling(meta.sampling)),
    ]
    if isinstance(meta.model_card, dict):
        rows += _card_rows(meta.model_card)
    else:
        rows += list(_checkpoint_fields(meta.model).items())
    rows += _framing_rows(meta.framing)
    post = meta.post_processing if isinstance(meta.post_processing, dict) else {}
    rows += [(f"post-processing: {k}", _text(v)) for k, v in post.items() if v is not None]
    if meta.frames is not None:
        rows.append(("labelled frames", str(meta.frames)))
    rows.append(("command", _command_text(meta.command)))
    return rows


def _framing_rows(framing: Any) -> list[tuple[str, str]]:
    """What the encoder saw of the frame: borders found, the region of interest, the crops."""
    if not isinstance(framing, dict):
        return []
    roi = framing.get("roi")
    rows = [
        ("framing", "borders found and cropped" if framing.get("borders") else "whole frame"),
        ("region of interest", "x={}, y={}, w={}, h={}".format(*roi) if roi else "none"),
    ]
    crops = [
        (c.get("frame"), c["box"])
        for c in framing.get("crops") or []
        if isinstance(c, dict) and isinstance(c.get("box"), list) and len(c["box"]) == 4
    ]
    text = "; ".join(
        f"from frame {frame}: {w}x{h} at ({x}, {y})" for frame, (x, y, w, h) in crops[:8]
    )
    if len(crops) > 8:
        text += f"; ... {len(crops) - 8} more"
    rows.append(("picture used (source pixels)", text or "the whole frame"))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
