"""The LightningModule: loss, optimisation and metrics around a SequenceLabeler.

It never decodes or writes files: batches arrive as features and labels, and everything a
checkpoint needs to label a new video (class names, encoder spec, preprocessing, sampling)
arrives as plain hyperparameters linked from the DataModule.
"""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torchmetrics import MeanMetric
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from pipeline.core.metrics import aggregate
from pipeline.encoders import build_encoder
from pipeline.models.sequence import SequenceLabeler, SequenceSettings, StreamState

IGNORE_INDEX = -1


class FrameLabelerModule(L.LightningModule):
    """Per-frame classifier over encoder features.

    Args:
        num_classes: number of labels (linked from the data).
        class_names: label names in id order (linked from the data; stored in the checkpoint).
        feature_dim: encoder feature size (linked from the data).
        encoder: encoder spec as a dict (linked from the data; stored in the checkpoint).
        preprocessing: encoder preprocessing as a dict (linked from the data).
        sampling: frame sampling as a dict (linked from the data).
        hidden_size: LSTM hidden size.
        num_layers: stacked LSTM layers.
        dropout: dropout probability.
        proj_dim: input projection width (0 = none).
        memory: False trains the frame-only baseline (no LSTM, one frame at a time).
        bidirectional: offline-only bidirectional LSTM (cannot be streamed by `label`).
        delta: also feed each frame's feature change from the previous frame (for cut-like events).
        input_dropout: dropout on the raw encoder features.
        similarity_lags: feed cosine similarities to the features this many frames back.
        appearance: feed the features themselves (False: only the change cues).
        input_noise: training-time Gaussian noise on the features, in feature-std units.
        cell: recurrent cell, "lstm", "gru" or "rnn" (a plain tanh RNN).
        lookahead: frames after a frame that its label may see (0 = strictly causal); a
            streamed label is this many frames late.
        similarity_groups: feature slices compared separately (sizes; empty = the whole vector).
        difference_groups: indices of those slices compared by mean absolute difference.
        region_sets: counts of the last slices that describe regions of the picture; each
            set's similarities are sorted (how much of the picture changed, not where).
        gate_init: gate bias initialisation, "default", "forget_bias" or "chrono"
            (`pipeline.models.gate_init`).
        forget_bias: the keep-gate bias of `gate_init: forget_bias`.
        chrono_tmax: the longest gap in frames that chrono initialisation spreads time scales to.
        class_weights: weight the loss by inverse label frequency of the training split.
        lr: AdamW learning rate (`--optimizer` on the command line replaces the optimiser).
        weight_decay: AdamW weight decay.
        finetune_encoder: train the CNN encoder end to end on decoded frames (linked from
            `data.finetune`); its weights are then saved in the checkpoint.
        encoder_lr: learning rate of the encoder when fine-tuning (pretrained weights want less).
        framing: what the encoder saw of each frame (linked from `data.framing`; stored in the
            checkpoint so `label` frames its input the same way).
        init_from: fine-tune: a checkpoint (or "default", the bundled model) whose weights
            training starts from (`pipeline.checkpoint.init_from`); None starts from scratch.
    """

    def __init__(
        self,
        num_classes: int = 2,
        class_names: list[str] | None = None,
        feature_dim: int = 1280,
        encoder: dict | None = None,
        preprocessing: dict | None = None,
        sampling: dict | None = None,
        hidden_size: int = 256,
        num_layers: int = 1,
        dropout: float = 0.2,
        proj_dim: int = 256,
        memory: bool = True,
        bidirectional: bool = False,
        delta: bool = False,
        input_dropout: float = 0.0,
        similarity_lags: list[int] | None = None,
        appearance: bool = True,
        input_noise: float = 0.0,
        cell: str = "lstm",
        lookahead: int = 0,
        similarity_groups: list[int] | None = None,
        difference_groups: list[int] | None = None,
        region_sets: list[int] | None = None,
        gate_init: str = "default",
        forget_bias: float = 1.0,
        chrono_tmax: int = 1000,
        class_weights: bool = False,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        finetune_encoder: bool = False,
        encoder_lr: float = 1e-4,
        framing: str = "full",
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.class_names = class_names or [f"class_{i}" for i in range(num_classes)]
        # by name: the checkpoint's hyperparameters rebuild exactly these settings
        settings = SequenceSettings.from_hparams(self.hparams)
        self.model = SequenceLabeler(feature_dim, num_classes, settings)
        # Only an encoder that trains belongs to the module (and so to the checkpoint); a frozen
        # one is rebuilt from the spec at labeling time and its features come from the cache.
        self.encoder = build_encoder(encoder).unfreeze() if finetune_encoder and encoder else None
        self.register_buffer("loss_weight", torch.ones(num_classes))
        metric_args = {"num_classes": num_classes, "ignore_index": IGNORE_INDEX}
        self.val_acc = MulticlassAccuracy(average="micro", **metric_args)
        self.val_f1 = MulticlassF1Score(average="macro", **metric_args)
        self.test_acc = MulticlassAccuracy(average="micro", **metric_args)
        self.test_f1 = MulticlassF1Score(average="macro", **metric_args)
        self.val_loss, self.test_loss = MeanMetric(), MeanMetric()
        self._sequences: list[tuple[np.ndarray, np.ndarray]] = []  # per-video (pred, target)
        self._lanes = StreamState()  # stateful windows: each lane's carried state

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, D) features, or (B, T, H, W, 3) frames when fine-tuning -> (B, T, C) logits."""
        if self.encoder is not None:
            batch, steps = inputs.shape[:2]
            frames = inputs.flatten(0, 1)  # (B*T, H, W, 3)
            # whole validation videos are encoded in slices to bound activation memory
            step = len(frames) if self.training else 64
            feats = torch.cat(
                [self.encoder(frames[i : i + step]) for i in range(0, len(frames), step)]
            )
            inputs = feats.view(batch, steps, -1)  # (B, T, D)
        return self.model(inputs, lengths)

    def on_fit_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if self.hparams.class_weights and datamodule is not None:
            counts = torch.as_tensor(datamodule.class_counts(), dtype=torch.float32)
            # inverse frequency, normalised to mean 1; absent classes get weight 0 (never a target)
            weight = torch.where(counts > 0, counts.sum() / counts.clamp(min=1), 0.0)
            self.loss_weight.copy_(weight / weight[counts > 0].mean())

    def _shared_step(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self(batch["inputs"], batch["lengths"])  # (B, T, C)
        return self._loss(logits, batch["labels"]), logits

    def _loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B, T, C) logits and (B, T) labels -> the weighted loss over the labelled frames."""
        return F.cross_entropy(
            logits.flatten(0, 1),  # (B*T, C)
            labels.flatten(),  # (B*T,)
            weight=self.loss_weight,
            ignore_index=IGNORE_INDEX,
        )

    def on_train_epoch_start(self) -> None:
        self._lanes = StreamState()

    def _lane_step(self, batch: dict) -> torch.Tensor:
        """Stateful truncated backprop (`data.stateful`): the lanes' state is carried from the
        previous batch, detached, so gradients stop at the window's edge but memory does not."""
        logits, after = self.model.train_window(batch["inputs"], self._lanes, batch["reset"])
        self._lanes = after.detached()
        return self._loss(logits, batch["labels"])

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self._lane_step(batch) if "reset" in batch else self._shared_step(batch)[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["inputs"]))
        return loss

    def _eval_step(self, batch: dict, stage: str) -> None:
        loss, logits = self._shared_step(batch)
        acc, f1, mean_loss = (
            (self.val_acc, self.val_f1, self.val_loss)
            if stage == "val"
            else (self.test_acc, self.test_f1, self.test_loss)
        )
        # Padding of a distributed shard is computed but not counted. Every rank logs the
        # metric objects at every step all the same: their epoch-end sync is a collective.
        if not batch["duplicate"].all():
            preds, labels = logits.argmax(-1), batch["labels"]  # (B, T)
            acc.update(preds.flatten(), labels.flatten())
            f1.update(preds.flatten(), labels.flatten())
            mean_loss.update(loss, weight=len(batch["inputs"]))
            for pred, label, length in zip(preds, labels, batch["lengths"], strict=True):
                n = int(length)
                self._sequences.append((pred[:n].cpu().numpy(), label[:n].cpu().numpy()))
        bs = len(batch["inputs"])
        self.log(f"{stage}/loss", mean_loss, prog_bar=stage == "val", batch_size=bs)
        self.log(f"{stage}/frame_acc", acc, prog_bar=True, batch_size=bs)
        self.log(f"{stage}/macro_f1", f1, batch_size=bs)

    def _all_sequences(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every rank's (pred, target) videos: each rank evaluated a shard of the split."""
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return self._sequences
        shards: list = [None] * dist.get_world_size()
        dist.all_gather_object(shards, self._sequences)
        return [sequence for shard in shards for sequence in shard]

    def _log_segment_metrics(self, stage: str) -> None:
        """Edit and F1@k need whole videos, so they are computed once per epoch, over the
        videos of every rank (the same value is logged everywhere)."""
        sequences = self._all_sequences()
        if sequences:
            scores = aggregate(sequences, num_classes=self.hparams.num_classes)
            for name in ("edit", "f1@10", "f1@25", "f1@50"):  # equal on every rank already
                self.log(f"{stage}/{name}", float(scores[name]), sync_dist=True)
        self._sequences = []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_segment_metrics("val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_segment_metrics("test")

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        probs = self(batch["inputs"], batch["lengths"]).softmax(-1)  # (B, T, C)
        return [
            {"name": name, "probs": p[: int(n)].cpu().numpy()}
            for name, p, n in zip(batch["names"], probs, batch["lengths"], strict=True)
        ]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        groups = [{"params": self.model.parameters()}]
        if self.encoder is not None:
            groups.append({"params": self.encoder.parameters(), "lr": self.hparams.encoder_lr})
        return torch.optim.AdamW(groups, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
