"""Any timm model as a frame encoder: `timm/NAME` (or a plain timm name torchvision lacks).

The model is built with `num_classes=0`, so its output is timm's pooled pre-logits feature.
Weights: "pretrained" goes through timm's own hub mechanism (`timm.create_model(...,
pretrained=True)`: the Hugging Face hub cache, downloaded on first use; `HF_HUB_OFFLINE=1` or
`FRAMELABEL_OFFLINE=1` turn downloads off), "none" is random init, and a path loads a
timm-layout state dict (`.pth`/`.bin`/`.safetensors`; the classifier is dropped). Mean/std come
from the model's pretrained config. This module imports timm; `build_encoder` imports it only
for names it resolves to timm.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import timm
import timm.data
import torch
from torch import nn

from pipeline.encoders.base import (
    EncoderSpec,
    FrameEncoder,
    Preprocessing,
    load_state_dict_file,
    weights_file,
)
from pipeline.encoders.hub import hub_checkpoint_path, offline_switch, one_line
from pipeline.errors import CheckpointError, ConfigError

PREFIX = "timm/"


def timm_arch(name: str) -> str:
    """`timm/convnext_nano.in1k` -> `convnext_nano.in1k` (a plain name is returned as is)."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else name


def is_timm_model(name: str) -> bool:
    """Whether timm can build `name` (with or without `timm/` and a `.tag`)."""
    return timm.is_model(timm_arch(name))


def timm_model_names() -> list[str]:
    """Every architecture timm can build (without pretrained tags)."""
    return timm.list_models()


@contextlib.contextmanager
def _hf_offline(offline: bool) -> Iterator[None]:
    """Make huggingface_hub treat itself as offline for the duration (it reads the flag per call)."""
    import huggingface_hub.constants as hf_constants

    before = hf_constants.HF_HUB_OFFLINE
    hf_constants.HF_HUB_OFFLINE = before or offline
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = before


def _manual_fix(arch: str, cfg) -> str:
    """How to get the weights without framelabel downloading them."""
    if cfg.hf_hub_id:
        import huggingface_hub.constants as hf_constants

        url = f"https://huggingface.co/{cfg.hf_hub_id}/resolve/main/model.safetensors"
        where = f"the Hugging Face cache ({hf_constants.HF_HUB_CACHE})"
    else:
        url, where = cfg.url, f"the torch hub cache ({hub_checkpoint_path(cfg.url)})"
    return (
        f"fill {where} once online with python -c \"import timm; timm.create_model('{arch}', "
        f'pretrained=True)", or download {url} and pass weights=PATH (--data.weights PATH)'
    )


def _create_pretrained(arch: str) -> nn.Module:
    """timm's pretrained model, from its cache or downloaded; one-line ConfigError otherwise."""
    cfg = timm.models.get_pretrained_cfg(arch)
    if cfg is None or not (cfg.hf_hub_id or cfg.url):
        raise ConfigError(
            f"timm has no pretrained weights for {arch!r}; pick a tagged name (e.g. "
            f"{arch}.<tag> from timm.list_pretrained('{arch.split('.')[0]}*')), "
            "weights='none' or a state dict path."
        )
    switch = offline_switch(include_hf=True)
    if switch and not cfg.hf_hub_id and not hub_checkpoint_path(cfg.url).is_file():
        # torch.hub, which timm uses for URL-only weights, has no offline switch of its own.
        raise ConfigError(
            f"Pretrained weights for timm {arch!r} are not cached and {switch}=1 turns "
            f"downloads off: unset {switch}, or {_manual_fix(arch, cfg)}."
        )
    try:
        with _hf_offline(switch is not None):
            return timm.create_model(arch, pretrained=True, num_classes=0)
    except (OSError, RuntimeError, ValueError) as exc:  # hub errors are OSErrors
        state = f"{switch}=1 turns downloads off" if switch else "the download failed"
        raise ConfigError(
            f"Pretrained weights for timm {arch!r} could not be loaded ({one_line(exc)}; "
            f"{state}): {_manual_fix(arch, cfg)}."
        ) from exc


def _load_file(model: nn.Module, path: Path, name: str) -> None:
    """Load a timm-layout (or saved framelabel) state dict; classifier weights are ignored."""
    state = load_state_dict_file(path)
    if state and all(key.startswith("model.") for key in state):
        state = {key[len("model.") :]: value for key, value in state.items()}
    classifiers = model.pretrained_cfg.get("classifier") or ()
    for head in [classifiers] if isinstance(classifiers, str) else classifiers:
        state = {k: v for k, v in state.items() if not k.startswith(f"{head}.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"Encoder weights {str(path)!r} do not fit timm {name!r} "
            f"({one_line(exc)}): pass the state dict of that timm model."
        ) from exc


def _feature_dim(model: nn.Module, spec: EncoderSpec) -> int:
    """Run one blank frame: the output width, and a size the model rejects fails now."""
    side = spec.input_size
    native = model.pretrained_cfg.get("input_size", (3, None, None))[-1]
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(1, 3, side, side))
    except (RuntimeError, ValueError, AssertionError) as exc:  # e.g. a fixed ViT grid
        raise ConfigError(
            f"Encoder {spec.name!r} does not accept input_size {side} ({one_line(exc)}); "
            f"pick another input_size (timm's pretrained size is {native})."
        ) from exc
    if out.ndim != 2 or out.shape[0] != 1:
        raise ConfigError(
            f"Encoder {spec.name!r} produced features of shape {tuple(out.shape)}, expected "
            "(1, D); this timm model is not supported as a frame encoder."
        )
    return int(out.shape[1])


class TimmEncoder(FrameEncoder):
    """A timm model without its classifier (`num_classes=0`): pooled pre-logits features."""

    def __init__(self, spec: EncoderSpec) -> None:
        arch = timm_arch(spec.name)
        path = weights_file(spec)
        if spec.weights == "pretrained":
            model = _create_pretrained(arch)
        else:
            model = timm.create_model(arch, pretrained=False, num_classes=0)
        if path is not None:
            _load_file(model, path, spec.name)
        config = timm.data.resolve_data_config({}, model=model)
        mean = tuple(255.0 * m for m in config["mean"])  # 0..1 -> 0..255 pixel units
        std = tuple(255.0 * s for s in config["std"])
        size = (spec.input_size, spec.input_size)
        feature_dim = _feature_dim(model, spec)
        super().__init__(spec, Preprocessing(size, mean, std), feature_dim)
        self.model = model.to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (B, 3, h, w) -> (B, D)."""
        return self.model(x)  # (B, D)


def build_timm_encoder(spec: EncoderSpec) -> FrameEncoder:
    """Factory for every name `build_encoder` resolves to timm."""
    return TimmEncoder(spec)
