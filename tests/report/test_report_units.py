"""The report's pure parts: review ranking, trace downsampling, truth scoring, file parsing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import AnnotationError
from pipeline.outputs.segments_json import SegmentsMeta
from pipeline.outputs.tracks import read_labels_csv
from pipeline.report.data import read_gates
from pipeline.report.review import disagreements, flagged_runs, low_confidence, review_items
from pipeline.report.sections import fmt_time
from pipeline.report.traces import bucket_starts, gate_traces, track_traces
from pipeline.report.truth import default_boundary_classes, score

A = np.asarray


def test_flagged_runs_join_close_runs() -> None:
    flags = A([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1], dtype=bool)
    assert flagged_runs(flags, merge_gap=3) == [(1, 6), (10, 11)]
    assert flagged_runs(flags, merge_gap=1) == [(1, 3), (5, 6), (10, 11)]
    assert flagged_runs(np.zeros(4, bool)) == []


def test_low_confidence_ranks_by_deficit() -> None:
    conf = A([0.9, 0.5, 0.9, 0.9, 0.9, 0.9, 0.2, 0.3] + [0.9] * 4 + [0.55] * 5)
    labels = A([0, 1, 0, 0, 0, 0, 2, 2] + [0] * 4 + [1] * 5)
    items = low_confidence(labels, conf, threshold=0.6)
    # deficits: [6, 8) 0.4 + 0.3 = 0.7; [12, 17) 5 * 0.05 = 0.25; [1, 2) 0.1
    assert [(it.start, it.end) for it in items] == [(6, 8), (12, 17), (1, 2)]
    assert items[0].thumb_row == 6 and items[0].pairs == ((2, -1),)
    assert items[0].score == pytest.approx(0.7)


def test_disagreements_name_their_label_pairs_and_skip_unlabeled_truth() -> None:
    target = A([0, 0, 1, 0, 0, -1, -1, 0, 0, 0, 0, 0])
    labels = A([0, 0, 0, 2, 0, 1, 1, 0, 1, 1, 1, 0])
    items = disagreements(labels, np.full(12, 0.8), target)
    assert [(it.start, it.end) for it in items] == [(8, 11), (2, 4)]  # longest first
    assert items[1].pairs == ((0, 1), (2, 0))  # a late cut: shot where truth cuts, then cut
    assert items[0].pairs == ((1, 0),)


def test_review_items_are_capped_per_kind() -> None:
    conf = np.tile([0.9, 0.9, 0.9, 0.9, 0.1], 12)  # 12 dips, 4 rows apart
    labels = np.zeros(60, dtype=np.int64)
    items = review_items(labels, conf, None, threshold=0.6, max_items=5)
    assert len(items) == 5 and {it.kind for it in items} == {"low confidence"}


def test_bucketing_keeps_spikes_and_bounds_the_size() -> None:
    n = 15_000  # 10 minutes at 25 fps
    probs = np.zeros((n, 2))
    probs[:, 0] = 1.0
    probs[7_777] = [0.0, 1.0]  # a one-frame cut
    conf = np.ones(n)
    conf[1_234] = 0.05  # a one-frame dip
    media_s = np.arange(n) / 25.0
    traces = track_traces(media_s, conf, probs, max_points=1000)
    assert len(traces["t"]) == 1000
    assert max(traces["probs"][1]) == 1.0
    assert min(traces["conf"]) == 0.05
    assert traces["t"][0] == 0.0 and traces["t"] == sorted(traces["t"])
    assert bucket_starts(10, 1000).tolist() == list(range(10))


def test_gate_traces_mean_and_band() -> None:
    values = {"forget": np.arange(4000, dtype=float)}
    out = gate_traces(np.arange(4000) / 25.0, values, max_points=1000)
    assert len(out["forget"]) == 1000
    assert out["forget"][0] == pytest.approx(1.5) and out["forget_lo"][0] == 0.0
    assert out["forget_hi"][0] == 3.0
    small = gate_traces(np.arange(5) / 25.0, {"forget": np.ones(5)})
    assert "forget_lo" not in small  # one row per bucket: no band to draw


def test_scores_against_truth_use_the_metrics_module() -> None:
    classes = ["shot", "cut", "gradual"]
    target = A([0, 0, 1, 0, 0, 0, 1, 0, 2, 2, 0, 0])
    pred = A([0, 0, 0, 1, 0, 0, 1, 0, 0, 2, 2, 0])
    summary, per_class, cm, bounds = score(pred, target, classes, tolerance=1)
    assert summary["frame_accuracy"] == pytest.approx(8 / 12)
    assert cm.sum() == 12 and cm[1, 1] == 1 and cm[1, 0] == 1
    assert per_class["recall"][1] == pytest.approx(0.5)
    by_name = {b.name: b for b in bounds}
    assert set(by_name) == {"cut", "gradual", "all"}
    assert (by_name["cut"].tp, by_name["cut"].fp, by_name["cut"].fn) == (2, 0, 0)  # +-1 frame
    assert by_name["gradual"].tp == 1
    assert default_boundary_classes(target, classes) == ["cut", "gradual"]


def test_gates_contract_ignores_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "v.gates.csv"
    path.write_text("frame,pts_s,forget,input,output,cell_norm,h0,h1\n0,0.0,0.5,0.4,0.3,2.0,9,9\n")
    gates = read_gates(path)
    assert gates.frames.tolist() == [0]
    assert gates.cell_norm.tolist() == [2.0]
    assert set(gates.means()) == {"forget", "input", "output", "cell_norm"}
    assert read_gates(tmp_path / "missing.gates.csv") is None
    (tmp_path / "bad.gates.csv").write_text("frame,forget\n0,1\n")
    assert read_gates(tmp_path / "bad.gates.csv") is None  # wrong header: warned, panel empty


def test_labels_csv_that_is_not_ours_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "v.labels.csv"
    path.write_text("frame,label\n0,shot\n")
    with pytest.raises(AnnotationError, match="framelabel label"):
        read_labels_csv(path)


def test_time_format() -> None:
    assert fmt_time(0.84) == "0:00.84"
    assert fmt_time(3725.5) == "1:02:05.50"
    assert fmt_time(math.nan) == "-"


def test_model_card_shows_the_framing_and_every_crop() -> None:
    from pipeline.report.model_card import model_card

    framing = {
        "borders": True,
        "roi": [0, 0, 1280, 620],
        "crops": [
            {"frame": 0, "pts_s": 0.0, "box": [160, 0, 960, 620]},
            {"frame": 240, "pts_s": 9.6, "box": [0, 0, 1280, 620]},
        ],
    }
    rows = dict(model_card(SegmentsMeta(classes=["shot"], framing=framing)))
    assert rows["framing"] == "borders found and cropped"
    assert rows["region of interest"] == "x=0, y=0, w=1280, h=620"
    assert rows["picture used (source pixels)"] == (
        "from frame 0: 960x620 at (160, 0); from frame 240: 1280x620 at (0, 0)"
    )
    assert "framing" not in dict(model_card(SegmentsMeta(classes=["shot"])))  # older outputs


def test_low_confidence_cards_skip_moments_a_disagreement_card_shows() -> None:
    conf = A([0.9, 0.3, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.9])
    labels = A([0, 1, 1, 0, 0, 0, 0, 0, 2, 0])
    target = A([0, 0, 0, 0, 0, 0, 0, 0, 2, 0])  # rows 1-2 are wrong and unsure; row 8 unsure
    items = review_items(labels, conf, target, threshold=0.6)
    assert [(it.kind, it.start) for it in items] == [("disagreement", 1), ("low confidence", 8)]
