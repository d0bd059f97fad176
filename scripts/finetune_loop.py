"""The review-correct-retrain loop, measured: fine-tune the default model on N corrected videos
of a condition where it is weak, and score unseen videos of that condition.

    python scripts/finetune_loop.py --train-data data/ft_vertical --condition vertical \
        --robust data/robust --ns 1,3,10 [--epochs 40] [--out runs/ft]

A reviewer is simulated with the truth: each of the first N videos of TRAIN_DATA (a
`datasets/transitions/build.py --split train --condition NAME` build: sources the held-out
splits never use) gets the NAME.corrected.csv the report page would download after every
segment was fixed. Then the documented loop runs as a user would:

    framelabel corrections DATA NAME.corrected.csv... --videos TRAIN_DATA/videos
    framelabel fit --config configs/transitions.yaml --model.init_from default \
        --data.root DATA --data.split_ratios [1,0,0] --trainer.max_epochs EPOCHS
    framelabel label ... --model last.ckpt    (scripts/eval_robustness.py --conditions NAME)

and prints all-transition F1 on the held-out `test` and `cuts` splits under the condition,
before (the bundled model) and after, with the CPU minutes of `corrections` + `fit`.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import eval_robustness  # noqa: E402

CORRECTED_HEADER = ("start_frame", "end_frame", "start_s", "end_s", "label")


def training_names(data: Path) -> list[str]:
    """The build's videos in a fixed order: its train list, then its val list."""
    return [n for s in ("train", "val") for n in (data / "splits" / f"{s}.txt").read_text().split()]


def write_corrected(data: Path, name: str, out: Path, fps: float) -> Path:
    """NAME.corrected.csv from the truth, in the page's download format."""
    path = out / f"{name}.corrected.csv"
    with open(data / "annotations.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["video"] == name]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CORRECTED_HEADER)
        for r in rows:
            s, e = int(r["start_frame"]), int(r["end_frame"])
            w.writerow([s, e, f"{s / fps:.6f}", f"{e / fps:.6f}", r["label"]])
    return path


def cpu_minutes_of(cmd: list[str]) -> float:
    """Run `cmd` to completion; the CPU minutes (user + system) it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / 60


def finetune(args: argparse.Namespace, n: int) -> tuple[Path, float, float]:
    """Fine-tune on the first `n` videos; (last checkpoint, CPU minutes, wall minutes)."""
    run = args.out / f"n{n}"
    last = run / "checkpoints" / "last.ckpt"
    timing = run / "timing.json"
    if last.exists() and timing.exists():  # resumes: a finished run is reused
        t = json.loads(timing.read_text())
        return last, t["cpu_min"], t["wall_min"]
    fps = json.loads((args.train_data / "dataset.json").read_text()).get("fps", 25)
    corrected = run / "downloads"
    corrected.mkdir(parents=True, exist_ok=True)
    files = [
        str(write_corrected(args.train_data, name, corrected, fps))
        for name in training_names(args.train_data)[:n]
    ]
    fl = str(Path(sys.executable).with_name("framelabel"))
    start = time.monotonic()
    cpu = cpu_minutes_of(
        [fl, "corrections", str(run / "data"), *files, "--videos", str(args.train_data / "videos")]
    )
    cpu += cpu_minutes_of([
        fl, "fit", "--config", str(ROOT / "configs/transitions.yaml"),
        "--model.init_from", "default", "--data.root", str(run / "data"),
        "--data.split_ratios", "[1,0,0]", "--data.windows_per_epoch", str(args.windows),
        "--trainer.max_epochs", str(args.epochs), "--model.lr", str(args.lr),
        "--trainer.default_root_dir", str(run), "--checkpoint.dirpath", str(run / "checkpoints"),
        "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
    ])  # fmt: skip
    wall = (time.monotonic() - start) / 60
    timing.write_text(json.dumps({"cpu_min": cpu, "wall_min": wall}))
    return last, cpu, wall


def f1s(results: dict, condition: str) -> dict[str, float]:
    by_split = results[condition]
    return {s: by_split[s]["framelabel"]["all"]["f1"] for s in eval_robustness.SPLITS}


def main(argv: Sequence[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-data", type=Path, required=True)
    ap.add_argument("--condition", required=True, help="a condition of scripts/eval_robustness.py")
    ap.add_argument("--robust", type=Path, default=Path("data/robust"))
    ap.add_argument("--ns", default="1,3,10", help="numbers of corrected videos")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--windows", type=int, default=64, help="training windows per epoch")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--out", type=Path, default=Path("runs/ft"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    default = Path(
        subprocess.check_output(
            [sys.executable, "-c", "import pipeline.api as a; print(a.default_model_path())"],
            text=True,
        ).strip()
    )
    robust = ["--out", str(args.robust), "--conditions", args.condition]
    rows = {
        "bundled model": (
            f1s(eval_robustness.main([*robust, "--model", str(default)]), args.condition),
            0.0,
            0.0,
        )
    }
    for n in (int(x) for x in args.ns.split(",")):
        ckpt, cpu, wall = finetune(args, n)
        scores = f1s(eval_robustness.main([*robust, "--model", str(ckpt)]), args.condition)
        rows[f"fine-tuned on {n} corrected"] = (scores, cpu, wall)
    print(f"\n{args.condition}, all-transition F1 on unseen videos (test / cuts):")
    print("| model | test | cuts | CPU min | wall min |\n|---|---|---|---|---|")
    for name, (scores, cpu, wall) in rows.items():
        print(f"| {name} | {scores['test']:.3f} | {scores['cuts']:.3f} | {cpu:.1f} | {wall:.1f} |")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
