"""`framelabel report` on a folder written by the real `framelabel label`: files, contents, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import opentimelineio as otio
import pytest

from pipeline.cli import main
from pipeline.io.info import video_info
from pipeline.io.writer import read_chapters
from pipeline.report import write_report, write_reports
from tests.report.conftest import FRAMES, Labelled

# Anything that would make the browser fetch a URL that is not a relative file or a data: URI.
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?https?:""")


def _data(page: Path) -> dict:
    text = page.read_text()
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_report_command_writes_page_index_and_editor_files(labelled: Labelled, capsys) -> None:
    code = main(["report", str(labelled.out), "--gt", str(labelled.truth)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "clip.report.html" in out and "index.html" in out
    for name in (
        "clip.report.html",
        "index.html",
        "clip.otio",
        "clip.edl",
        "clip.xml",
        "clip.fcpxml",
    ):
        assert (labelled.out / name).is_file(), name
    assert not list(labelled.out.glob(".*"))  # no temp files left
    index = (labelled.out / "index.html").read_text()
    assert 'href="clip.report.html"' in index


def test_editor_files_and_chapters_follow_the_segments(labelled: Labelled) -> None:
    assert main(["report", str(labelled.out), "--chapters", "--min-chapter", "0.5"]) == 0
    segments = json.loads((labelled.out / "clip.segments.json").read_text())["segments"]
    timeline = otio.adapters.read_from_file(str(labelled.out / "clip.otio"))
    clips = list(timeline.find_clips())
    assert len(clips) == len(segments)
    assert [c.source_range.start_time.to_frames() for c in clips] == [
        s["start_frame"] for s in segments
    ]
    assert clips[0].media_reference.target_url == "clip.mp4"  # relative to the folder
    shots = [s for s in segments if s["label"] == "shot" and s["end_s"] - s["start_s"] >= 0.5]
    chapters = read_chapters(labelled.out / "clip.annotated.mp4")
    assert [c.title.split()[0] for c in chapters] == ["shot"] * len(shots)
    assert len({c.title for c in chapters}) == len(chapters)
    assert chapters[0].start_s == 0.0 and chapters[-1].end_s == pytest.approx(FRAMES / 25)
    assert video_info(labelled.out / "clip.annotated.mp4", count=True).frames == FRAMES


def test_page_is_self_contained_and_shows_every_section(labelled: Labelled) -> None:
    page = write_report(labelled.out, "clip", gt=labelled.truth)
    text = page.read_text()
    assert not EXTERNAL.search(text)
    assert '<video id="player"' in text and 'src="clip.annotated.mp4"' in text
    for heading in ("What deserves a human look", "Segments", "Against the truth", "Model card"):
        assert heading in text
    assert 'class="confusion"' in text and "frame accuracy" in text and "F1@50" in text
    meta = json.loads((labelled.out / "clip.segments.json").read_text())
    encoder = meta["model_card"]["encoder"]["name"]
    assert "Boundaries" in text and encoder in text  # the model card shows the encoder
    assert "data:image/jpeg;base64," in text  # review thumbnails are inline
    data = _data(page)
    segments = json.loads((labelled.out / "clip.segments.json").read_text())["segments"]
    assert len(data["pred"]) == len(segments)
    assert data["truth"] and data["gates"] and len(data["trace"]["probs"]) == 3
    assert text.count('<tr data-t="') == len(segments)


def test_gate_panel_says_how_to_get_one_when_absent(labelled: Labelled) -> None:
    (labelled.out / "clip.gates.csv").unlink()
    page = write_report(labelled.out, "clip")
    text = page.read_text()
    assert "no gate trace (run label with --gates)" in text
    assert _data(page)["gates"] is None
    assert "No truth given" in text


def test_without_annotated_video_the_source_plays(labelled: Labelled) -> None:
    (labelled.out / "clip.annotated.mp4").unlink()
    text = write_report(labelled.out, "clip").read_text()
    assert 'src="clip.mp4"' in text and 'data-kind="source"' in text


def test_stored_command_and_model_card_are_shown(labelled: Labelled) -> None:
    path = labelled.out / "clip.segments.json"
    doc = json.loads(path.read_text())
    doc["command"] = ["framelabel", "label", "clip.mp4", "--out", "out dir"]
    doc["model_card"] = {"encoder": "efficientnet_lite0", "input size": "128x128"}
    path.write_text(json.dumps(doc))
    text = write_report(labelled.out, "clip").read_text()
    assert "framelabel label clip.mp4 --out &#x27;out dir&#x27;" in text
    assert "not stored in segments.json" not in text


def test_truth_from_a_dataset_folder_in_seconds(labelled: Labelled) -> None:
    dataset = labelled.out.parent / "dataset"
    dataset.mkdir()
    (dataset / "annotations.csv").write_text(
        "video,start_time,end_time,label\nclip.mp4,0,1.92,shot\nclip.mp4,1.92,1.96,cut\n"
        "clip.mp4,1.96,3.84,shot\nother.mp4,0,1,shot\n"
    )
    page = write_report(labelled.out, "clip", gt=dataset)
    data = _data(page)
    assert [r[2] for r in data["truth"]] == [0, 1, 0]
    assert data["truth"][1][:2] == pytest.approx([1.92, 1.96])
    assert "annotations.csv" in page.read_text()


def test_write_reports_covers_every_labelled_video(labelled: Labelled) -> None:
    for suffix in (".labels.csv", ".segments.json"):
        (labelled.out / f"copy{suffix}").write_bytes((labelled.out / f"clip{suffix}").read_bytes())
    paths = write_reports(labelled.out)
    assert sorted(p.name for p in paths) == ["clip.report.html", "copy.report.html", "index.html"]
    index = (labelled.out / "index.html").read_text()
    assert index.count("<tr><td><a href=") == 2


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda tmp, lab: [str(tmp / "nowhere")], "does not exist"),
        (lambda tmp, lab: [str(tmp)], "holds no NAME.labels.csv"),
        (lambda tmp, lab: [str(lab.out), "--gt", str(tmp / "missing.csv")], "--gt"),
    ],
    ids=["missing-dir", "no-outputs", "missing-gt"],
)
def test_errors_are_one_line_with_the_fix(labelled, tmp_path, capsys, make_args, expected) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", *make_args(empty, labelled)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


def test_a_truth_for_another_video_fails_that_video_only(labelled: Labelled, capsys) -> None:
    bad = labelled.out.parent / "bad.csv"
    bad.write_text("start_frame,end_frame,label\n0,5000,shot\n")
    assert main(["report", str(labelled.out), "--gt", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "clip" in err[0] and "5000" in err[0]


def test_the_model_card_names_each_field_once_and_no_absolute_path(labelled: Labelled) -> None:
    page = write_report(labelled.out, "clip")
    card = page.read_text().split('id="model-card"')[1]
    fields = re.findall(r"<tr><th>([^<]+)</th>", card)
    assert len(fields) == len(set(fields)), fields  # classes, checkpoint, sampling: once each
    assert "the bundled default model (default.ckpt)" in card
    assert str(labelled.out) not in card and "/pipeline/assets/" not in card
    assert "weights: pretrained" not in card and "no weights (hand-made cues)" in card


def test_the_index_counts_in_words_and_names_only_the_folder(labelled: Labelled) -> None:
    main(["report", str(labelled.out)])
    index = (labelled.out / "index.html").read_text()
    assert "1 video in <code>out</code>" in index and str(labelled.out) not in index


def test_dark_confusion_cells_get_light_text(labelled: Labelled) -> None:
    page = write_report(labelled.out, "clip", gt=labelled.truth)
    cells = re.findall(r'<td class="(diag|off)( dark)?" style="--a:([0-9.]+)"', page.read_text())
    assert cells and all(bool(dark) == (float(a) > 0.45) for _, dark, a in cells)
    assert any(dark for _, dark, _ in cells)  # the shot diagonal is dark
