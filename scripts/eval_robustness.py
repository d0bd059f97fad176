"""framelabel and PySceneDetect on held-out footage under the conditions of real footage.

    python scripts/eval_robustness.py --out data/robust --model CKPT [--videos 100]
        [--cut-videos 12] [--conditions pillarbox,crf45] [--json OUT]

For "clean" and each condition of `datasets/transitions/conditions.py` (`CONDITIONS`), builds
the held-out `test` and `cuts` splits under that condition alone (`build.py --split test
--condition NAME`: the same videos as the clean held-out build, with the condition applied),
labels them with `framelabel label --no-video`, runs PySceneDetect's content and adaptive
detectors at their defaults, and prints all-transition F1 per split and condition (the scoring
of `scripts/eval_transitions.py`). Every step resumes: a built condition, its labels and
PySceneDetect's scenes (`OUT/NAME/scenedetect.json`) are kept and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ("test", "cuts")
METHODS = ("framelabel", "PySceneDetect adaptive", "PySceneDetect content")


def _load(name: str, relative: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build = _load("transitions_build", "datasets/transitions/build.py")
evaluation = _load("eval_transitions", "scripts/eval_transitions.py")


def build_condition(
    data: Path, condition: str, videos: int, cut_videos: int, flag: str = "--condition"
) -> None:
    """The held-out splits under `condition` (`flag` NAME of build.py; "clean": none)."""
    if (data / "dataset.json").exists():
        return
    argv = ["--out", str(data), "--split", "test", "--videos", str(videos)]
    argv += ["--cut-videos", str(cut_videos), "--overwrite"]
    if condition != "clean":
        argv += [flag, condition]
    build.main(argv)


def _names(data: Path) -> list[str]:
    return [
        n
        for s in SPLITS
        if (data / "splits" / f"{s}.txt").exists()
        for n in (data / "splits" / f"{s}.txt").read_text().split()
    ]


def label_condition(data: Path, model: Path) -> Path:
    """framelabel's labels.csv for every video, in a folder per model (its content hash)."""
    digest = hashlib.blake2b(model.read_bytes(), digest_size=6).hexdigest()
    pred = data / f"pred-{digest}"
    videos = [str(data / "videos" / f"{n}.mp4") for n in _names(data)]
    framelabel = Path(sys.executable).with_name("framelabel")
    cmd = [str(framelabel), "label", *videos, "--model", str(model), "--no-video", "--quiet"]
    subprocess.run([*cmd, "--out", str(pred)], check=True)  # a re-run skips finished inputs
    return pred


def scenedetect_scenes(data: Path) -> dict[str, dict[str, list]]:
    """{detector: {video: [(frame, "cut"), ...]}}, computed once per condition."""
    path = data / "scenedetect.json"
    found = json.loads(path.read_text()) if path.exists() else {}
    for det in evaluation.DETECTORS:
        mine = found.setdefault(det, {})
        for name in _names(data):
            if name not in mine:
                video = data / "videos" / f"{name}.mp4"
                mine[name] = evaluation.scenedetect_transitions(video, det)
        path.write_text(json.dumps(found))
    return found


def predictors(data: Path, pred: Path, model: Path) -> dict[str, tuple[bool, object]]:
    """{method: (names the kind, (video, truth) -> [(frame, kind)])}: framelabel's labels in
    `pred` decoded with `model`'s settings, and PySceneDetect's scenes of `data`."""
    params = evaluation.params_from_hparams(
        evaluation.read_checkpoint(model).get("hyper_parameters")
    )
    scenes = scenedetect_scenes(data)

    def ours(n, t):
        return evaluation.read_predictions(pred / f"{n}.labels.csv", t, params)

    methods = {"framelabel": (True, ours)}
    for det in evaluation.DETECTORS:
        methods[f"PySceneDetect {det}"] = (
            False,
            lambda n, t, det=det: [tuple(x) for x in scenes[det][n]],
        )
    return methods


def score_condition(data: Path, pred: Path, model: Path, tolerance: int) -> dict:
    """{split: {method: summary}} for one condition."""
    methods = predictors(data, pred, model)
    out = {}
    for split in SPLITS:
        truths, negatives = evaluation.read_truth(data, split), evaluation.read_negatives(data)
        out[split] = {
            m: evaluation.score_split(predict, truths, negatives, tolerance, typed)
            for m, (typed, predict) in methods.items()
        }
    return out


def table(results: dict[str, dict]) -> str:
    head = ["condition"] + [f"{s}: {m}" for s in SPLITS for m in METHODS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cond, by_split in results.items():
        cells = [cond]
        for s in SPLITS:
            f1s = {m: by_split[s][m]["all"]["f1"] for m in METHODS}
            best = max(f1s.values())
            cells += [f"**{v:.3f}**" if v == best else f"{v:.3f}" for v in f1s.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder of the condition builds")
    ap.add_argument("--model", type=Path, help="checkpoint to evaluate")
    ap.add_argument("--videos", type=int, default=100, help="build.py --videos (test = 20%%)")
    ap.add_argument("--cut-videos", type=int, default=12, help="build.py --cut-videos")
    ap.add_argument("--conditions", help="comma-separated subset (default: clean and all)")
    ap.add_argument("--tolerance", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write every score here")
    ap.add_argument(
        "--prepare", action="store_true", help="only build and run PySceneDetect (no model)"
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.model is None and not args.prepare:
        raise SystemExit("--model CKPT is needed (or --prepare)")
    conditions = ["clean", *build.CONDITIONS]
    if args.conditions:
        conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    results = {}
    for cond in conditions:
        data = args.out / cond
        build_condition(data, cond, args.videos, args.cut_videos)
        if args.prepare:
            scenedetect_scenes(data)
            continue
        pred = label_condition(data, args.model)
        results[cond] = score_condition(data, pred, args.model, args.tolerance)
        print(f"{cond}: " + ", ".join(
            f"{s} {m} {results[cond][s][m]['all']['f1']:.3f}" for s in SPLITS for m in METHODS
        ), flush=True)  # fmt: skip
    print(f"\nall-transition F1 (tolerance +-{args.tolerance} frames):\n" + table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(evaluation._json_safe(results), indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
