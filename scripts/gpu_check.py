"""CUDA path check: a training run in bf16 mixed precision and streamed labeling on the GPU,
with throughput figures. Needs a CUDA device; prints one JSON object.

    python scripts/gpu_check.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.checkpoint.load import load_labeler
from pipeline.cli import main as framelabel
from pipeline.commands.train import cli_main
from pipeline.encoders import EncoderSpec, build_encoder
from tools.synth import write_test_video
from tools.tiny_dataset import write_tiny_dataset


def encoder_throughput(
    size: int, device: str, bf16: bool, batch: int = 256, reps: int = 10
) -> float:
    encoder = build_encoder(EncoderSpec("efficientnet_lite0", size)).to(device)
    frames = torch.randint(0, 255, (batch, size, size, 3), dtype=torch.uint8, device=device)
    with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        encoder(frames)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            encoder(frames)
        torch.cuda.synchronize()
    return batch * reps / (time.perf_counter() - start)


def train(work: Path) -> Path:
    root = write_tiny_dataset(work / "data", videos=6, frames=64)
    cli = cli_main(
        [
            "fit",
            "--data.root",
            str(root),
            "--data.input_size",
            "64",
            "--data.window",
            "16",
            "--trainer.max_epochs",
            "5",
            "--trainer.accelerator",
            "gpu",
            "--trainer.precision",
            "bf16-mixed",
            "--trainer.default_root_dir",
            str(work / "run"),
            "--trainer.enable_progress_bar",
            "false",
        ]
    )
    return Path(cli.trainer.checkpoint_callback.last_model_path)


def label_fps(
    video: Path, ckpt: Path, out: Path, device: str, with_video: bool
) -> tuple[float, np.ndarray]:
    args = [
        "label",
        str(video),
        "--model",
        str(ckpt),
        "--out",
        str(out),
        "--device",
        device,
        "--quiet",
        "--overwrite",
    ] + ([] if with_video else ["--no-video"])
    start = time.perf_counter()
    assert framelabel(args) == 0
    seconds = time.perf_counter() - start
    rows = np.loadtxt(
        out / f"{video.stem}.labels.csv", delimiter=",", skiprows=1, usecols=(4, 5, 6)
    )
    return len(rows) / seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    report: dict = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        ckpt = train(work)
        report["train_bf16_s"] = round(time.perf_counter() - start, 1)
        report["checkpoint_classes"] = load_labeler(ckpt).class_names
        rng = np.random.default_rng(0)
        base = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        video = write_test_video(
            work / "hd.mp4",
            600,
            size=(1280, 720),
            codec="libx264rgb",
            frame_fn=lambda i: np.roll(base, 4 * i, axis=1),
        )
        for device in ("cuda", "cpu"):
            fps, probs = label_fps(video, ckpt, work / device, device, with_video=False)
            report[f"label_no_video_fps_{device}"] = round(fps, 1)
            report[f"_probs_{device}"] = probs
        report["label_video_fps_cuda"] = round(
            label_fps(video, ckpt, work / "v", "cuda", True)[0], 1
        )
        diff = np.abs(report.pop("_probs_cuda") - report.pop("_probs_cpu")).max()
        report["max_abs_prob_diff_cuda_bf16_vs_cpu_fp32"] = float(diff)
    for size in (128, 224):
        for bf16 in (False, True):
            key = f"encoder_img_s_{size}_{'bf16' if bf16 else 'fp32'}"
            report[key] = round(encoder_throughput(size, "cuda", bf16), 0)
    print(json.dumps(report, indent=1))
    if args.out:
        Path(args.out, "gpu_check.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
