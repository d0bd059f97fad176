"""The encoder registry: framelabel's own encoders by name, then torchvision and timm models.

Backends import `base` (the encoder types); only this module imports the backends, and only
when a name is resolved, so importing the package imports neither torchvision nor timm.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import torch

from pipeline.encoders.base import EncoderSpec, FrameEncoder
from pipeline.errors import ConfigError

EncoderFactory = Callable[[EncoderSpec], FrameEncoder]
# framelabel's own encoders. torchvision and timm names are resolved on demand, so importing
# this package imports neither library (each costs seconds of start-up).
ENCODERS: dict[str, EncoderFactory] = {}
TIMM_PREFIX = "timm/"
INIT_SEED = 0  # random init of encoders built with weights="none"


def register_encoder(name: str, factory: EncoderFactory) -> None:
    """Add `factory` under `name` (later registrations win, so plugins can override)."""
    ENCODERS[name] = factory


def available_encoders() -> list[str]:
    """Registered names and torchvision classifiers, sorted (imports torchvision).

    Any timm model is accepted too, as `timm/NAME` (see `timm.list_models()`).
    """
    from pipeline.encoders.torchvision_models import torchvision_model_names

    return sorted(set(ENCODERS) | torchvision_model_names())


def _unknown_encoder(name: str, candidates: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.75)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ConfigError(
        f"Unknown encoder {name!r}: expected one of {', '.join(sorted(ENCODERS))}, a torchvision "
        f"classification model (resnet18, mobilenet_v3_large, ...) or a timm model as "
        f"timm/NAME (timm/convnext_nano).{hint}"
    )


def resolve_encoder(name: str) -> EncoderFactory:
    """The factory for `name`: registered names, then torchvision models, then timm models.

    `timm/NAME` always means timm. A plain name that is neither registered nor a torchvision
    model is looked up in timm, so `convnext_nano` works; `timm/` pins the source.
    """
    factory = ENCODERS.get(name)
    if factory is not None:
        return factory
    if name.startswith(TIMM_PREFIX):
        from pipeline.encoders import timm_models

        if timm_models.is_timm_model(name):
            return timm_models.build_timm_encoder
        arch = timm_models.timm_arch(name)
        close = difflib.get_close_matches(arch, timm_models.timm_model_names(), n=3, cutoff=0.75)
        hint = f" Did you mean {', '.join(repr(TIMM_PREFIX + c) for c in close)}?" if close else ""
        raise ConfigError(
            f"Unknown timm model {arch!r} in encoder {name!r}; expected a name from "
            f"timm.list_models().{hint}"
        )
    from pipeline.encoders import torchvision_models

    torchvision_names = torchvision_models.torchvision_model_names()
    if name in torchvision_names:
        return torchvision_models.build_torchvision_encoder
    from pipeline.encoders import timm_models

    if timm_models.is_timm_model(name):
        return timm_models.build_timm_encoder
    raise _unknown_encoder(name, [*ENCODERS, *torchvision_names])


def build_encoder(spec: EncoderSpec | str | dict) -> FrameEncoder:
    """Build a frozen encoder from a spec, a bare name, or a spec dict."""
    if isinstance(spec, str):
        spec = EncoderSpec(name=spec)
    elif isinstance(spec, dict):
        spec = EncoderSpec.from_dict(spec)
    elif not isinstance(spec, EncoderSpec):
        raise ConfigError(
            f"Encoder spec {spec!r} must be an EncoderSpec, an encoder name or a dict."
        )
    factory = resolve_encoder(spec.name)
    # A fixed seed on a forked RNG: weights="none" builds the same network every time (so a
    # frozen random encoder gives the same features when training and when labeling), and
    # building an encoder never shifts the caller's random stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(INIT_SEED)
        encoder = factory(spec)
    return encoder.freeze()
