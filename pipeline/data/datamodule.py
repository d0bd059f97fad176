"""The DataModule: a folder of videos + annotations -> cached features -> batches.

Layout (see `pipeline.data.annotations` for the annotation formats):

    root/classes.txt  root/videos/NAME.mp4  root/annotations.csv | root/labels/ | root/groundTruth/
    root/splits/{train,val,test}.txt   (optional; otherwise a seeded split by ratio)
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from pipeline.core.sampling import Sampling
from pipeline.data.annotations import (
    check_videos_exist,
    find_annotation,
    read_class_names,
    read_frame_labels,
)
from pipeline.data.features import FeatureCache, cached_features, cached_frames
from pipeline.data.lanes import LaneBatches, LaneDataset
from pipeline.data.mstcn import export_mstcn, read_ground_truth
from pipeline.data.sharding import EpochWindows, EvaluationShard, ShuffledShard, rank_and_world
from pipeline.encoders import EncoderSpec, build_encoder
from pipeline.errors import AnnotationError, ConfigError
from pipeline.io.framing import FramingSpec
from pipeline.io.info import video_info

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass
class LabeledVideo:
    name: str
    inputs: np.ndarray  # (T, D) float32 features, or (T, H, W, 3) uint8 frames when fine-tuning
    labels: np.ndarray  # (T,) int64, -1 = unlabeled


def split_names(
    root: Path, names: list[str], ratios: tuple[float, float, float], seed: int
) -> dict:
    """Splits from root/splits/*.txt when present, else a seeded shuffle cut by `ratios`."""
    split_dir = root / "splits"
    if split_dir.is_dir():
        splits = {}
        for split in SPLITS:
            path = split_dir / f"{split}.txt"
            listed = path.read_text().split() if path.exists() else []
            unknown = sorted(set(listed) - set(names))
            if unknown:
                raise AnnotationError(
                    f"{path}: lists videos with no file under {root}/videos: {unknown[:5]}; "
                    "fix the list or add the videos"
                )
            splits[split] = listed
        return splits
    shuffled = sorted(names)
    random.Random(seed).shuffle(shuffled)
    n_train = max(1, round(ratios[0] * len(shuffled)))
    n_val = round(ratios[1] * len(shuffled))
    return {
        "train": shuffled[:n_train],
        "val": shuffled[n_train : n_train + n_val],
        "test": shuffled[n_train + n_val :],
    }


class WindowDataset(Dataset):
    """Random windows of `window` frames, drawn with probability proportional to video length.
    Training on windows is truncated backprop through time: gradients never cross a window edge.

    Item i is drawn from its own generator seeded by (seed, i), so DataLoader workers (each
    with a copy of the dataset) never repeat each other's windows and a run is reproducible
    whatever the number of workers. `EpochWindows` hands out new indices every epoch.
    """

    def __init__(self, videos: list[LabeledVideo], window: int, num_windows: int, seed: int):
        self.videos, self.window, self.num_windows = videos, window, num_windows
        lengths = np.array([len(v.labels) for v in videos], dtype=np.float64)
        self.weights = lengths / lengths.sum()
        self.seed = seed

    def __len__(self) -> int:
        return self.num_windows

    def __getitem__(self, i: int) -> dict:
        rng = np.random.default_rng((self.seed, i))
        video = self.videos[rng.choice(len(self.videos), p=self.weights)]
        start = int(rng.integers(0, max(1, len(video.labels) - self.window + 1)))
        stop = start + self.window
        return {
            "name": video.name,
            "inputs": video.inputs[start:stop],
            "labels": video.labels[start:stop],
        }


class WholeVideoDataset(Dataset):
    def __init__(self, videos: list[LabeledVideo]):
        self.videos = videos

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, i: int) -> dict:
        # i >= len: padding of a distributed evaluation shard (see EvaluationShard)
        v = self.videos[i % len(self.videos)]
        return {"name": v.name, "inputs": v.inputs, "labels": v.labels, "duplicate": i >= len(self)}


def pad_collate(items: list[dict]) -> dict:
    """Right-pad to the longest item: inputs with 0, labels with -1 (ignored by the loss)."""
    lengths = torch.tensor([len(it["labels"]) for it in items])
    first = np.asarray(items[0]["inputs"])
    shape = (len(items), int(lengths.max()), *first.shape[1:])
    inputs = torch.zeros(shape, dtype=torch.from_numpy(first[:0]).dtype)  # (B, T, ...)
    labels = torch.full(shape[:2], -1, dtype=torch.long)  # (B, T)
    for i, it in enumerate(items):
        inputs[i, : len(it["labels"])] = torch.from_numpy(np.array(it["inputs"]))
        labels[i, : len(it["labels"])] = torch.from_numpy(np.asarray(it["labels"]))
    return {
        "inputs": inputs,
        "labels": labels,
        "lengths": lengths,
        "names": [it["name"] for it in items],
        "duplicate": torch.tensor([bool(it.get("duplicate", False)) for it in items]),
        **({"reset": torch.tensor([it["reset"] for it in items])} if "reset" in items[0] else {}),
    }


def check_window_schedule(
    window: int, stateful: bool, curriculum: list[int], stage_epochs: int, finetune: bool
) -> None:
    """One clear error for a training-window setup that cannot work."""
    problems = []
    if any(w < 1 for w in curriculum):
        problems.append(f"data.curriculum={curriculum}: expected windows >= 1 frame")
    if stage_epochs < 1:
        problems.append(f"data.curriculum_epochs={stage_epochs}: expected >= 1")
    if stateful and window <= 0 and not curriculum:
        problems.append("data.stateful needs data.window > 0 (the length of each window)")
    if stateful and finetune:
        problems.append("data.stateful trains on cached features: drop data.finetune")
    if problems:
        raise ConfigError("; ".join(problems))


class FrameDataModule(L.LightningDataModule):
    """Videos + annotations under `root`, encoded once into cached features.

    Args:
        root: dataset folder (videos/, classes.txt, annotations, optional splits/).
        encoder: encoder name (`efficientnet_lite0` or a torchvision model name).
        input_size: encoder input side in pixels; smaller is faster.
        weights: "pretrained", "none" (random), or a path to a state dict.
        fps: label frames at this rate (None = every decoded frame).
        stride: label every N-th decoded frame.
        backend: video reader, "pyav" or "opencv".
        cache_dir: feature cache folder (default: root/.cache/features).
        window: training window in frames (truncated BPTT); 0 trains on whole videos.
        windows_per_epoch: training windows per epoch (default: enough to cover the split twice).
        batch_size: training windows per batch.
        split_ratios: train/val/test ratios when root/splits/ is absent.
        seed: seed for the split and the window sampler.
        background: class name for frames no annotation covers (default: unlabeled, ignored).
        finetune: yield decoded frames instead of cached features, for end-to-end fine-tuning of
            the encoder (set `model.finetune_encoder: true` too; use a short `window`).
        framing: "full" (the whole frame) or "borders": constant borders (letterbox,
            pillarbox, windowbox) are found as the video streams and cropped before the
            encoder (`pipeline.io.framing`); the checkpoint records it for `label`.
        stateful: read every training video in order, `window` frames at a time, carrying the
            recurrent state (detached) from one window to the next (`pipeline.data.lanes`), so
            a cue further back than one window still reaches the label.
        curriculum: training windows of the first epochs, short first (e.g. [200, 400, 800]):
            stage k lasts `curriculum_epochs` epochs, then `window` applies (0: whole videos).
            The longest gap a window can teach is its length, so short gaps come first.
        curriculum_epochs: epochs per curriculum stage.
    """

    def __init__(
        self,
        root: str,
        encoder: str = "efficientnet_lite0",
        input_size: int = 128,
        weights: str = "pretrained",
        fps: float | None = None,
        stride: int = 1,
        backend: str = "pyav",
        cache_dir: str | None = None,
        window: int = 256,
        windows_per_epoch: int | None = None,
        batch_size: int = 8,
        split_ratios: tuple[float, float, float] = (0.7, 0.15, 0.15),
        seed: int = 0,
        background: str | None = None,
        finetune: bool = False,
        framing: str = "full",
        stateful: bool = False,
        curriculum: list[int] | None = None,
        curriculum_epochs: int = 1,
    ) -> None:
        super().__init__()
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(f"dataset folder {root!r} does not exist; pass --data.root DIR")
        self.class_names = read_class_names(self.root)
        self.num_classes = len(self.class_names)
        self.encoder_spec = EncoderSpec(encoder, input_size, weights)
        self.frame_encoder = build_encoder(self.encoder_spec)
        self.feature_dim = self.frame_encoder.feature_dim
        # Features made elsewhere (MS-TCN layout, no videos): train on them as they are.
        self.mstcn = (self.root / "features").is_dir() and not (self.root / "videos").is_dir()
        self.sampling = Sampling(fps, stride)
        self.cache = FeatureCache(cache_dir or self.root / ".cache" / "features")
        self.backend, self.window, self.batch_size = backend, window, batch_size
        self.windows_per_epoch, self.seed, self.background = windows_per_epoch, seed, background
        self.finetune = finetune
        self.framing = FramingSpec.from_mode(framing).mode
        self.stateful, self.curriculum = stateful, list(curriculum or [])
        self.curriculum_epochs = curriculum_epochs
        check_window_schedule(window, stateful, self.curriculum, curriculum_epochs, finetune)
        if self.mstcn:
            self.videos = {p.stem: p for p in sorted((self.root / "features").glob("*.npy"))}
            self.feature_dim = self._mstcn_feature_dim()
        else:
            self.videos = check_videos_exist(self.root)  # every annotated video, by name
        if not self.videos:
            raise ConfigError(f"no annotated videos under {self.root}; add videos/ and annotations")
        self.splits = split_names(self.root, list(self.videos), split_ratios, seed)
        self._loaded: dict[str, list[LabeledVideo]] = {}

    # plain-dict views for link_arguments: checkpoints hold no custom classes (weights_only loads)
    @property
    def encoder_dict(self) -> dict:
        return self.encoder_spec.to_dict()

    @property
    def preprocessing_dict(self) -> dict:
        return self.frame_encoder.preprocessing.to_dict()

    @property
    def sampling_dict(self) -> dict:
        return self.sampling.to_dict()

    def _mstcn_feature_dim(self) -> int:
        first = np.load(next(iter(self.videos.values())), mmap_mode="r", allow_pickle=False)
        if first.shape[0] != self.frame_encoder.feature_dim:
            log.warning(
                "MS-TCN features have %d dims, encoder %s gives %d: the model will train, but "
                "`framelabel label` can only use it on features from the same extractor",
                first.shape[0],
                self.encoder_spec.name,
                self.frame_encoder.feature_dim,
            )
        return int(first.shape[0])

    def _load_mstcn(self, name: str) -> tuple[LabeledVideo, bool]:
        feats = np.ascontiguousarray(np.load(self.videos[name], allow_pickle=False).T, np.float32)
        gt = self.root / "groundTruth" / f"{name}.txt"
        return LabeledVideo(name, feats, read_ground_truth(gt, self.class_names, len(feats))), True

    def _load_video(self, name: str) -> tuple[LabeledVideo, bool]:
        if self.mstcn:
            return self._load_mstcn(name)
        path, args = (
            self.videos[name],
            (self.frame_encoder, self.cache, self.sampling, self.backend, self.framing),
        )
        if self.finetune:
            inputs, track = cached_frames(path, *args)
            hit = True
        else:
            track, hit = cached_features(path, *args)
            inputs = track.feats
        annotation = find_annotation(self.root, name)
        if annotation is None:
            raise AnnotationError(
                f"no annotation for video {name!r} under {self.root}; add its labels"
            )
        n_source = int(track.frame_indices.max(initial=-1) + 1)
        if self.sampling != Sampling():  # frames after the last sampled one exist too
            n_source = max(n_source, video_info(path, backend=self.backend).frames or 0)
        # pts of every source frame, interpolated between the sampled ones (exact without sampling)
        pts_all = np.interp(np.arange(n_source), track.frame_indices, track.pts_s)
        labels_all = read_frame_labels(
            annotation, self.class_names, n_source, pts_all, video=name, background=self.background
        )
        return LabeledVideo(name, inputs, labels_all[track.frame_indices]), hit

    def encode_videos(self, names: list[str]) -> list[bool]:
        """Fill the cache for `names` (a shard of a distributed extract); True where a video's
        features were already cached."""
        return [self._load_video(name)[1] for name in names]

    def load_split(self, split: str) -> list[LabeledVideo]:
        if split not in self._loaded:
            loaded = [self._load_video(name) for name in self.splits[split]]
            hits = sum(hit for _, hit in loaded)
            log.info(
                "%s split: %d videos, features from cache: %d, decoded: %d",
                split,
                len(loaded),
                hits,
                len(loaded) - hits,
            )
            self._loaded[split] = [video for video, _ in loaded]
        return self._loaded[split]

    def check_annotations(self, names: list[str]) -> None:
        """Read every annotation against the container's frame count before any decoding, so a
        typo fails in a second instead of after the feature extraction of earlier videos."""
        for name in [] if self.mstcn else names:
            annotation = find_annotation(self.root, name)
            if annotation is None:
                raise AnnotationError(
                    f"no annotation for video {name!r} under {self.root}; add its labels"
                )
            info = video_info(self.videos[name], backend=self.backend)
            frames = (
                info.frames or 10**9
            )  # unknown count: the past-the-end check waits for decoding
            fps = float(info.fps or 25)
            read_frame_labels(
                annotation,
                self.class_names,
                frames,
                np.arange(frames) / fps if frames < 10**9 else None,
                video=name,
                background=self.background,
            )

    def all_videos(self) -> list[LabeledVideo]:
        """Every video of every split (encoding the ones not cached yet)."""
        return [video for split in SPLITS for video in self.load_split(split)]

    def export_mstcn(self, out_dir: str | Path) -> int:
        """Write features/groundTruth/mapping.txt for every video; returns the count."""
        videos = self.all_videos()
        for video in videos:
            export_mstcn(
                Path(out_dir),
                video.name,
                video.inputs,
                video.labels,
                self.class_names,
                overwrite=True,
            )
        return len(videos)

    def _needed_splits(self, stage: str | None) -> tuple[str, ...]:
        needed = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",)}
        return needed.get(stage or "", SPLITS)

    def prepare_data(self) -> None:
        """Fill the feature cache once per machine before any process reads it (Lightning runs
        this on local rank 0 only, then the other ranks wait), so ranks never race to decode."""
        trainer = getattr(self, "trainer", None)
        stage = getattr(getattr(trainer, "state", None), "fn", None)
        self.setup(getattr(stage, "value", None))

    def setup(self, stage: str | None = None) -> None:
        splits = self._needed_splits(stage)
        self.check_annotations([n for split in splits for n in self.splits[split]])
        for split in splits:
            self.load_split(split)

    def class_counts(self) -> np.ndarray:
        labels = np.concatenate([v.labels for v in self.load_split("train")])
        return np.bincount(labels[labels >= 0], minlength=self.num_classes)

    def epoch_window(self, epoch: int) -> int:
        """The training window of `epoch` (0 = whole videos): the curriculum's, then `window`."""
        stage = epoch // self.curriculum_epochs
        return self.curriculum[stage] if stage < len(self.curriculum) else self.window

    def train_dataloader(self) -> DataLoader:
        videos = self.load_split("train")
        rank, world = rank_and_world()
        trainer = self.trainer
        window = self.epoch_window(trainer.current_epoch if trainer is not None else 0)
        if self.curriculum and trainer is not None:  # a new window needs a new loader per epoch
            trainer.reload_dataloaders_every_n_epochs = 1
        if self.stateful and window > 0:
            lengths = [len(v.labels) for v in videos]
            return DataLoader(
                LaneDataset(videos),
                batch_sampler=LaneBatches(lengths, window, self.batch_size, self.seed, rank, world),
                collate_fn=pad_collate,
            )
        if window <= 0:
            return DataLoader(
                WholeVideoDataset(videos),
                batch_size=self.batch_size,
                sampler=ShuffledShard(len(videos), self.seed, rank, world),
                collate_fn=pad_collate,
            )
        total = sum(len(v.labels) for v in videos)
        # a curriculum stage reads the split's frames once, as an epoch on whole videos does
        passes = 1 if window != self.window else 2
        count = self.windows_per_epoch or max(self.batch_size, passes * total // window)
        return DataLoader(
            WindowDataset(videos, window, count, self.seed),
            batch_size=self.batch_size,
            sampler=EpochWindows(count, rank, world),
            collate_fn=pad_collate,
        )

    def _whole(self, split: str) -> DataLoader:
        # keyword arguments: Lightning re-creates loaders (predict) from their init arguments
        videos = self.load_split(split)
        return DataLoader(
            WholeVideoDataset(videos),
            batch_size=1,
            sampler=EvaluationShard(len(videos), *rank_and_world()),
            collate_fn=pad_collate,
        )

    def val_dataloader(self) -> DataLoader:
        return self._whole("val")

    def test_dataloader(self) -> DataLoader:
        return self._whole("test")

    def predict_dataloader(self) -> DataLoader:
        return self._whole("test")
