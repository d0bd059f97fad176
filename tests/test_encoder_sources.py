"""Where encoder weights come from: the torch hub cache, downloads, timm's hub, and the lazy
registry that keeps torchvision and timm out of a plain import. Nothing here touches the network:
downloads are `file://` URLs or patched fetches."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.encoders import EncoderSpec, build_encoder, resolve_encoder
from pipeline.encoders.hub import fetch_to_hub_cache, hub_checkpoint_path
from pipeline.errors import CheckpointError, ConfigError

ROOT = Path(__file__).resolve().parents[1]
TIMM_SMALL = "mobilenetv3_small_050"  # 0.5 M parameters; pretrained tag lamb_in1k on the HF hub


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """Downloads off and empty caches unless a test turns them on."""
    monkeypatch.setenv("FRAMELABEL_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture
def hf_cache(monkeypatch, tmp_path) -> Path:
    """An empty Hugging Face hub cache, with huggingface_hub offline."""
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hf"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    return cache


def _frames(n: int, side: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, side, side, 3), dtype=np.uint8)


def _hashed_copy(state: dict, folder: Path, stem: str) -> Path:
    """Save `state` as torchvision names its files: `STEM-<sha256 prefix>.pth`."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "tmp.pth"
    torch.save(state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]
    return tmp.rename(folder / f"{stem}-{digest}.pth")


# --- Import time: no torchvision, timm or lightning for labeling ------------------------------


def test_importing_the_labeling_path_imports_no_heavy_library():
    code = (
        "import pipeline.encoders, pipeline.checkpoint.load, pipeline.label.job, sys; "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torchvision', 'timm', 'lightning', 'huggingface_hub'}); "
        "assert not heavy, heavy"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_names_resolve_registered_then_torchvision_then_timm():
    from pipeline.encoders import efficientnet_lite, timm_models, torchvision_models

    assert resolve_encoder("efficientnet_lite0") is efficientnet_lite.build_efficientnet_lite0
    assert resolve_encoder("resnet18") is torchvision_models.build_torchvision_encoder
    for name in ("timm/resnet18", "convnext_nano", "timm/convnext_nano.in12k_ft_in1k"):
        assert resolve_encoder(name) is timm_models.build_timm_encoder, name
    with pytest.raises(
        ConfigError, match="Unknown timm model 'convnext_nanoo'.*timm/convnext_nano"
    ):
        resolve_encoder("timm/convnext_nanoo")


# --- torch hub cache and downloads (torchvision) -----------------------------------------------


def test_fetch_downloads_a_file_url_once_into_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("FRAMELABEL_OFFLINE")
    source = _hashed_copy({"w": torch.arange(3.0)}, tmp_path / "server", "toy")
    url = source.as_uri()
    path = fetch_to_hub_cache(url, "toy")
    assert path == hub_checkpoint_path(url) and path.parent.parent == tmp_path / "torch" / "hub"
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.arange(3.0))
    source.unlink()  # a cache hit does not read the URL again
    assert fetch_to_hub_cache(url, "toy") == path


def test_failed_or_corrupt_download_is_one_line_with_the_manual_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("FRAMELABEL_OFFLINE")
    missing = (tmp_path / "nowhere" / "toy-0123abcd.pth").as_uri()
    with pytest.raises(ConfigError) as info:
        fetch_to_hub_cache(missing, "toy")
    message = str(info.value)
    assert "failed" in message and missing in message and "weights=PATH" in message
    assert str(hub_checkpoint_path(missing)) in message and "\n" not in message
    source = _hashed_copy({"w": torch.zeros(2)}, tmp_path / "server", "toy")
    bad = source.with_name("toy-00000000.pth")  # the name promises another hash
    source.rename(bad)
    with pytest.raises(ConfigError, match="hash"):
        fetch_to_hub_cache(bad.as_uri(), "toy")
    assert not hub_checkpoint_path(bad.as_uri()).exists()


def test_torchvision_pretrained_downloads_with_progress_then_hits_the_cache(monkeypatch):
    import torchvision

    from pipeline.encoders.torchvision_models import default_weights, hub_cache_path

    monkeypatch.delenv("FRAMELABEL_OFFLINE")
    saved = torchvision.models.resnet18().state_dict()  # stands in for the published file
    calls = []

    def fake_download(url, dst, hash_prefix=None, progress=True):
        calls.append((url, Path(dst), hash_prefix, progress))
        torch.save(saved, dst)

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    weights = default_weights("resnet18")
    cached = hub_cache_path(weights)
    for _ in range(2):
        encoder = build_encoder(EncoderSpec("resnet18", input_size=64, weights="pretrained"))
        assert torch.equal(encoder.model.conv1.weight, saved["conv1.weight"])
    assert calls == [(weights.url, cached, cached.stem.rsplit("-", 1)[1], True)]


def test_torchvision_offline_with_a_cached_file_needs_no_network():
    import torchvision

    from pipeline.encoders.torchvision_models import default_weights, hub_cache_path

    cached = hub_cache_path(default_weights("mobilenet_v3_small"))
    cached.parent.mkdir(parents=True)
    saved = torchvision.models.mobilenet_v3_small().state_dict()
    torch.save(saved, cached)
    encoder = build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64))
    assert encoder.encode(_frames(2, 64)).shape == (2, 1024)


# --- timm --------------------------------------------------------------------------------------


def _timm_state(arch: str = TIMM_SMALL) -> dict[str, torch.Tensor]:
    import timm

    return timm.create_model(arch, pretrained=False, num_classes=1000).state_dict()


def _fill_hf_cache(cache: Path, repo_id: str, state: dict) -> Path:
    """The layout huggingface_hub writes: refs/main -> snapshots/<commit>/model.safetensors."""
    from safetensors.torch import save_file

    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in state.items()}, snapshot / "model.safetensors")
    return snapshot / "model.safetensors"


def test_timm_model_by_name_with_random_weights_gives_pooled_features():
    import timm.data

    for name in (f"timm/{TIMM_SMALL}", TIMM_SMALL):
        encoder = build_encoder(EncoderSpec(name, input_size=64, weights="none"))
        feats = encoder.encode(_frames(3, 64))
        assert feats.shape == (3, encoder.feature_dim) == (3, 1024)  # conv_head width
        assert np.isfinite(feats).all() and feats.std() > 0
    config = timm.data.resolve_data_config({}, model=encoder.model)
    assert encoder.preprocessing.mean == pytest.approx([255 * m for m in config["mean"]])
    assert encoder.preprocessing.std == pytest.approx([255 * s for s in config["std"]])


def test_timm_preprocessing_follows_the_pretrained_config():
    encoder = build_encoder(EncoderSpec("timm/test_vit", input_size=160, weights="none"))
    assert encoder.preprocessing.mean == pytest.approx([127.5] * 3)  # (0.5, 0.5, 0.5) in timm
    with pytest.raises(ConfigError, match="input_size 64.*pretrained size is 160"):
        build_encoder(EncoderSpec("timm/test_vit3", input_size=64, weights="none"))


def test_timm_pretrained_from_the_hf_cache(hf_cache, monkeypatch):
    import timm

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    state = _timm_state()
    _fill_hf_cache(hf_cache, timm.models.get_pretrained_cfg(TIMM_SMALL).hf_hub_id, state)
    encoder = build_encoder(EncoderSpec(f"timm/{TIMM_SMALL}", input_size=64))
    assert torch.equal(encoder.model.conv_stem.weight, state["conv_stem.weight"])


def test_timm_pretrained_offline_and_not_cached_is_one_line(hf_cache, monkeypatch):
    for switch in ("FRAMELABEL_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv("FRAMELABEL_OFFLINE")
        monkeypatch.setenv(switch, "1")
        with pytest.raises(ConfigError) as info:
            build_encoder(EncoderSpec(f"timm/{TIMM_SMALL}", input_size=64))
        message = str(info.value)
        assert f"{switch}=1" in message and str(hf_cache) in message and "weights=PATH" in message
        assert "huggingface.co/timm/mobilenetv3_small_050" in message and "\n" not in message
        monkeypatch.delenv(switch)
        monkeypatch.setenv("FRAMELABEL_OFFLINE", "1")
    with pytest.raises(ConfigError, match="timm has no pretrained weights for 'lcnet_035'"):
        build_encoder(EncoderSpec("timm/lcnet_035", input_size=64))


def test_timm_pretrained_downloads_through_timms_hub_and_reports_a_failure(
    hf_cache, monkeypatch, tmp_path
):
    import huggingface_hub.constants as hf_constants
    import timm.models._hub as timm_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    monkeypatch.delenv("FRAMELABEL_OFFLINE")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    state = _timm_state()
    calls = []

    def fake_hf_download(repo_id, filename, revision=None, cache_dir=None, **kwargs):
        calls.append((repo_id, filename, hf_constants.HF_HUB_OFFLINE))
        path = _fill_hf_cache(tmp_path / f"dl{len(calls)}", repo_id, state)
        return str(path)

    monkeypatch.setattr(timm_hub, "hf_hub_download", fake_hf_download)
    encoder = build_encoder(EncoderSpec(TIMM_SMALL, input_size=64))
    assert torch.equal(encoder.model.conv_stem.weight, state["conv_stem.weight"])
    assert calls == [("timm/mobilenetv3_small_050.lamb_in1k", "model.safetensors", False)]

    def no_network(*args, **kwargs):
        raise LocalEntryNotFoundError("An error happened while trying to locate the file\nmore")

    monkeypatch.setattr(timm_hub, "hf_hub_download", no_network)
    with pytest.raises(ConfigError) as info:
        build_encoder(EncoderSpec(TIMM_SMALL, input_size=64))
    message = str(info.value)
    assert "download failed" in message and "LocalEntryNotFoundError" in message
    assert "weights=PATH" in message and "\n" not in message


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_timm_weights_from_a_file_drop_the_classifier(tmp_path, suffix):
    state = _timm_state()
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, path)
    else:
        torch.save(state, path)
    encoder = build_encoder(EncoderSpec(f"timm/{TIMM_SMALL}", input_size=64, weights=str(path)))
    assert torch.equal(encoder.model.conv_stem.weight, state["conv_stem.weight"])
    resaved = tmp_path / "framelabel.pt"  # an encoder's own state dict ("model." keys) loads too
    torch.save(encoder.state_dict(), resaved)
    again = build_encoder(EncoderSpec(f"timm/{TIMM_SMALL}", input_size=64, weights=str(resaved)))
    np.testing.assert_allclose(again.encode(_frames(2, 64)), encoder.encode(_frames(2, 64)))
    wrong = tmp_path / "wrong.pt"
    torch.save(_timm_state("lcnet_035"), wrong)
    with pytest.raises(CheckpointError, match="do not fit timm"):
        build_encoder(EncoderSpec(f"timm/{TIMM_SMALL}", input_size=64, weights=str(wrong)))
