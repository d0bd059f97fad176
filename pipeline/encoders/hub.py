"""Pretrained weights from the internet, the way torchvision and timm fetch them.

On first use a file is downloaded (with a progress bar) into the torch hub cache
(`$TORCH_HOME/hub/checkpoints`, `~/.cache/torch` by default) and read from there afterwards.
`FRAMELABEL_OFFLINE=1` turns every download off; then a file that is not cached is an error
that says where to put it. Only the standard library and torch are imported here.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import torch

from pipeline.errors import ConfigError

OFFLINE_ENV = "FRAMELABEL_OFFLINE"
HF_OFFLINE_ENV = "HF_HUB_OFFLINE"  # Hugging Face's own switch, honoured for timm weights
_TRUE = ("1", "true", "yes", "on")


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def offline_switch(include_hf: bool = False) -> str | None:
    """The environment variable that turns downloads off (`NAME=1`), or None when online."""
    if _env_on(OFFLINE_ENV):
        return OFFLINE_ENV
    if include_hf and _env_on(HF_OFFLINE_ENV):
        return HF_OFFLINE_ENV
    return None


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, short enough for a one-line error."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160] if text else ''}".rstrip(": ")


def hub_checkpoint_path(url: str) -> Path:
    """Where torch.hub keeps (or would keep) the file downloaded from `url`."""
    filename = os.path.basename(urlparse(url).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def fetch_to_hub_cache(url: str, what: str) -> Path:
    """The cached file of `url`, downloading it first unless downloads are off.

    `what` names the weights in errors (e.g. "torchvision 'resnet18'"). The file name's
    `-<sha256 prefix>.` part, when present, is checked as `torch.hub.load_state_dict_from_url`
    does; a partial download never lands under the final name.
    """
    path = hub_checkpoint_path(url)
    if path.is_file():
        return path
    manual = f"download {url} to {path}, or pass weights=PATH (--data.weights PATH)"
    switch = offline_switch()
    if switch is not None:
        raise ConfigError(
            f"Pretrained weights for {what} are not in the torch hub cache ({path}) and "
            f"{switch}=1 turns downloads off: unset {switch}, {manual}."
        )
    match = torch.hub.HASH_REGEX.search(path.name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(
            url, str(path), hash_prefix=match.group(1) if match else None, progress=True
        )
    except (OSError, RuntimeError, ValueError) as exc:  # URLError/HTTPError are OSErrors
        raise ConfigError(
            f"Downloading pretrained weights for {what} from {url} failed ({one_line(exc)}): "
            f"check the connection, or {manual}."
        ) from exc
    return path
