"""`framelabel label` end to end on real (tiny) videos with a checkpoint trained in the session."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from pipeline.checkpoint.load import build_bundle_encoder, load_labeler
from pipeline.cli import main
from pipeline.data.features import encode_video
from pipeline.io.info import video_info
from pipeline.io.reader import open_video
from pipeline.label.labeler import StreamingLabeler
from tools.synth import write_test_video
from tools.tiny_dataset import SIZE, render

SUFFIXES = [".labels.csv", ".segments.csv", ".segments.json", ".vtt", ".srt", ".annotated.mp4"]


def _label(trained: dict, *args: str) -> int:
    """`framelabel label ARGS --model <the checkpoint trained in this session>`; the exit code."""
    return main(["label", *args, "--model", str(trained["best"])])


def _probs(path) -> np.ndarray:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return np.array([[float(r[k]) for k in r if k.startswith("p_")] for r in rows])


def _video(path, n, labels=("calm", "busy", "dark"), seed=0, audio=False):
    rng = np.random.default_rng(seed)
    per_frame = [labels[(i * len(labels)) // n] for i in range(n)]
    return write_test_video(
        path, n, size=SIZE, audio=audio, frame_fn=lambda i: render(per_frame[i], i, rng)
    )


def test_label_writes_every_output(trained, tmp_path):
    video = _video(tmp_path / "clip.mp4", 40, audio=True)
    out = tmp_path / "out"
    assert _label(trained, str(video), "--out", str(out), "--quiet") == 0
    for suffix in SUFFIXES:
        assert (out / f"clip{suffix}").is_file(), suffix
    rows = list(csv.DictReader(open(out / "clip.labels.csv")))
    assert [int(r["frame"]) for r in rows] == list(range(40))
    assert list(rows[0]) == ["frame", "pts_s", "label", "confidence", "p_calm", "p_busy", "p_dark"]
    annotated = video_info(out / "clip.annotated.mp4", count=True)
    assert annotated.frames == 40 and annotated.has_audio
    assert (annotated.width, annotated.height) == SIZE
    segments = json.loads((out / "clip.segments.json").read_text())["segments"]
    assert segments[0]["start_frame"] == 0 and segments[-1]["end_frame"] == 40
    assert not list(out.glob(".*"))  # no temp files left


def test_streaming_equals_one_full_pass(trained, tmp_path):
    """Chunked labeling with carried state == one forward pass over the whole video."""
    video = _video(tmp_path / "clip.mp4", 50)
    bundle = load_labeler(trained["best"])
    encoder = build_bundle_encoder(bundle)
    feats = torch.from_numpy(encode_video(video, encoder).feats)
    with torch.no_grad():
        offline = bundle.model(feats[None])[0].softmax(-1).numpy()  # (T, C)
    with open_video(str(video), size=bundle.preprocessing.size) as reader:
        frames = np.stack([f.rgb for f in reader])
    labeler = StreamingLabeler(bundle.model, encoder, torch.device("cpu"))
    for chunk in (1, 7, 64, 50):
        labeler.reset()
        parts = [labeler.push_frames(frames[s : s + chunk]) for s in range(0, len(frames), chunk)]
        streamed = np.concatenate([*parts, labeler.finish()])
        assert np.abs(streamed - offline).max() <= 1e-5, chunk


def test_chunk_size_does_not_change_the_output(trained, tmp_path):
    video = _video(tmp_path / "clip.mp4", 45)
    for chunk in ("1", "4096"):
        assert (
            _label(
                trained,
                str(video),
                "--no-video",
                "--quiet",
                "--out",
                str(tmp_path / chunk),
                "--chunk-size",
                chunk,
            )
            == 0
        )
    a, b = _probs(tmp_path / "1" / "clip.labels.csv"), _probs(tmp_path / "4096" / "clip.labels.csv")
    assert a.shape == (45, 3) and np.abs(a - b).max() <= 1e-5


def test_later_frames_never_change_earlier_labels(trained, tmp_path):
    first = _video(tmp_path / "a.mp4", 40, labels=("calm", "busy"))
    second = _video(tmp_path / "b.mp4", 40, labels=("calm", "dark"))  # same first 20 frames
    out = tmp_path / "out"
    assert _label(trained, str(first), str(second), "--no-video", "--quiet", "--out", str(out)) == 0
    a, b = _probs(out / "a.labels.csv"), _probs(out / "b.labels.csv")
    assert np.array_equal(a[:20], b[:20])
    assert not np.allclose(a[20:], b[20:])


def test_a_bad_input_does_not_stop_the_batch(trained, tmp_path, capsys):
    good1, good2 = _video(tmp_path / "one.mp4", 20), _video(tmp_path / "three.mp4", 20)
    bad = tmp_path / "two.mp4"
    bad.write_text("not a video\n")
    out = tmp_path / "out"
    code = _label(
        trained, str(good1), str(bad), str(good2), "--no-video", "--quiet", "--out", str(out)
    )
    errors = [line for line in capsys.readouterr().err.splitlines() if "two.mp4" in line]
    assert code == 1
    assert len(errors) == 1 and "framelabel label" in errors[0]
    assert (out / "one.labels.csv").is_file() and (out / "three.labels.csv").is_file()
    assert not list(out.glob("two*"))


def test_a_rerun_skips_done_inputs_and_foreign_files_need_overwrite(trained, tmp_path, capsys):
    video = _video(tmp_path / "clip.mp4", 10)
    out = tmp_path / "out"
    args = ["label", str(video), "--model", str(trained["best"]), "--no-video", "--quiet"]
    args += ["--out", str(out)]
    assert main(args) == 0
    written = (out / "clip.labels.csv").stat().st_mtime_ns
    assert main(args) == 0  # recorded as done in the manifest: nothing to redo
    assert "0 of 1 inputs, 1 already done" in capsys.readouterr().err
    assert (out / "clip.labels.csv").stat().st_mtime_ns == written
    (out / "manifest.jsonl").unlink()  # the outputs are now files framelabel did not record
    assert main(args) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0
    assert (out / "clip.labels.csv").stat().st_mtime_ns != written


def test_ground_truth_gives_metrics_and_a_second_ribbon(trained, tmp_path):
    video = _video(tmp_path / "clip.mp4", 30)
    gt = tmp_path / "clip.csv"
    gt.write_text("start_frame,end_frame,label\n0,10,calm\n10,20,busy\n20,30,dark\n")
    out = tmp_path / "out"
    assert _label(trained, str(video), "--gt", str(gt), "--quiet", "--out", str(out)) == 0
    metrics = json.loads((out / "clip.metrics.json").read_text())
    for key in ("frame_accuracy", "macro_f1", "edit", "f1@10", "f1@25", "f1@50"):
        assert key in metrics
    assert metrics["frames"] == 30


def _ctrl_c_at_chunk(monkeypatch, chunk_number: int) -> None:
    """Make the labeler raise KeyboardInterrupt when it is given its N-th chunk (the user's
    Ctrl-C arriving mid-stream)."""
    calls = {"n": 0}
    original = StreamingLabeler.push_frames

    def interrupted(self, frames):
        calls["n"] += 1
        if calls["n"] == chunk_number:
            raise KeyboardInterrupt
        return original(self, frames)

    monkeypatch.setattr(StreamingLabeler, "push_frames", interrupted)


def test_interrupt_leaves_no_output_under_a_final_name(trained, tmp_path, monkeypatch):
    video = _video(tmp_path / "clip.mp4", 40)
    _ctrl_c_at_chunk(monkeypatch, 2)
    out = tmp_path / "out"
    code = _label(trained, str(video), "--quiet", "--chunk-size", "8", "--out", str(out))
    assert code == 130
    assert [p.name for p in out.iterdir()] == ["manifest.jsonl"]  # no output, no temp file
    assert '"status": "started"' in (out / "manifest.jsonl").read_text().splitlines()[-1]


def test_missing_default_model_or_bad_checkpoint_is_one_line(tmp_path, capsys):
    bogus = tmp_path / "model.ckpt"
    bogus.write_bytes(b"garbage")
    video = _video(tmp_path / "clip.mp4", 5)
    assert main(["label", str(video), "--model", str(bogus), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.ckpt" in err[0]


@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_both_backends_label_the_same_frames(trained, tmp_path, backend):
    video = _video(tmp_path / "clip.mp4", 24)
    out = tmp_path / backend
    assert (
        _label(
            trained, str(video), "--no-video", "--quiet", "--backend", backend, "--out", str(out)
        )
        == 0
    )
    assert _probs(out / "clip.labels.csv").shape == (24, 3)


def test_a_live_source_labels_until_ctrl_c_then_finishes(trained, tmp_path, monkeypatch):
    video = _video(tmp_path / "cam.mp4", 48)
    _ctrl_c_at_chunk(monkeypatch, 4)  # the user stops the stream
    out = tmp_path / "out"
    url = video.resolve().as_uri()  # a stream URL: read as a live source by OpenCV
    code = _label(
        trained, url, "--backend", "opencv", "--quiet", "--chunk-size", "8", "--out", str(out)
    )
    assert code == 0
    labels = next(out.glob("*.labels.csv"))
    assert len(_probs(labels)) == 24  # three chunks of 8 before Ctrl-C
    annotated = next(out.glob("*.annotated.mp4"))
    assert video_info(annotated, count=True).frames == 24
