"""Review, correct, retrain: a file the page downloaded goes into a dataset
(`framelabel corrections`), `fit --model.init_from default` trains on it (a partial one: the
frames nobody reviewed are unlabeled), `label --model` runs the result, and
`report --corrections` shows the file as the truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.checkpoint.bundled import default_model_path
from pipeline.checkpoint.load import read_checkpoint
from pipeline.cli import main
from pipeline.commands.train import cli_main
from pipeline.core.transitions import HPARAMS_KEY
from pipeline.data.annotations import read_frame_labels
from pipeline.report import write_report
from tests.report.browser import _open, _press
from tests.report.conftest import FRAMES, Labelled
from tests.report.test_report_editor import _at, _csv

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["shot", "cut", "gradual"]


@pytest.fixture(scope="module")
def downloaded(browser, labelled_master: Labelled, tmp_path_factory) -> Path:
    """clip.corrected.csv as the page saves it: two stretches reviewed, one of them fixed."""
    page = write_report(labelled_master.out, "clip")
    folder = tmp_path_factory.mktemp("downloads")
    _open(browser, page)
    browser.execute_script("localStorage.clear()")
    _open(browser, page)
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    browser.downloads = folder
    _at(browser, 30)
    _press(browser, "v")  # the second shot, checked as it is
    _at(browser, 60)
    _press(browser, "3")  # the third shot relabelled (a reviewer's mistake does not matter here)
    rows = _csv(browser, reviewed_only=True)
    assert rows and int(rows[0]["start_frame"]) > 0  # partial: the first shot is not in it
    browser.execute_script("localStorage.clear()")
    return folder / "clip.corrected.csv"


def test_the_download_becomes_a_partly_labelled_dataset_video(
    downloaded: Path, labelled_master: Labelled, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    code = main(["corrections", str(data), str(downloaded), "--videos", str(labelled_master.out)])
    assert code == 0
    assert (data / "classes.txt").read_text().split() == CLASSES
    assert (data / "videos" / "clip.mp4").stat().st_size == labelled_master.video.stat().st_size
    labels = read_frame_labels(data / "labels" / "clip.csv", CLASSES, FRAMES)
    assert labels[0] == -1 and labels[FRAMES - 1] == -1  # not reviewed: ignored by the loss
    assert (labels[30] == 0) and (labels[60] == 2)


def test_fit_from_the_default_on_the_partial_file_then_label_and_report(
    downloaded: Path, labelled_master: Labelled, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert (
        main(["corrections", str(data), str(downloaded), "--videos", str(labelled_master.out)]) == 0
    )
    run = tmp_path / "run"
    cli = cli_main(
        [
            "fit",
            "--config",
            str(ROOT / "configs/transitions.yaml"),
            "--model.init_from",
            "default",
            "--data.root",
            str(data),
            "--data.split_ratios",
            "[1,0,0]",
            "--data.windows_per_epoch",
            "4",
            "--data.batch_size",
            "4",
            "--trainer.max_epochs",
            "1",
            "--trainer.default_root_dir",
            str(run),
            "--trainer.enable_progress_bar",
            "false",
        ]
    )
    trained_on = cli.datamodule.load_split("train")[0].labels
    assert (trained_on == -1).sum() > 0 and (trained_on == 2).sum() > 0
    last = Path(cli.trainer.checkpoint_callback.last_model_path)
    ckpt = read_checkpoint(last)
    default = read_checkpoint(default_model_path())
    # fine-tuned weights, the default's decoding settings
    assert ckpt["hyper_parameters"][HPARAMS_KEY] == default["hyper_parameters"][HPARAMS_KEY]
    changed = [
        k
        for k, v in ckpt["state_dict"].items()
        if k.startswith("model.")
        and not np.array_equal(v.numpy(), default["state_dict"][k].numpy())
    ]
    assert changed
    out = tmp_path / "out"
    video = labelled_master.video
    assert (
        main(
            ["label", str(video), "--model", str(last), "--out", str(out), "--no-video", "--quiet"]
        )
        == 0
    )
    assert (out / "clip.labels.csv").exists()
    shutil.copy(video, out / video.name)
    assert main(["report", str(out), "--corrections", str(downloaded), "--no-editorial"]) == 0
    page = (out / "clip.report.html").read_text()
    payload = json.loads(page.split('id="report-data">')[1].split("</script>")[0])
    truth = payload["truth"]  # the corrected stretches only, as the truth ribbon
    assert truth and truth[0][0] > 0 and any(run[2] == 2 for run in truth)


def test_a_file_without_its_video_fails_alone(
    downloaded: Path, labelled_master: Labelled, tmp_path: Path, capsys
) -> None:
    stray = tmp_path / "elsewhere" / "nothing.corrected.csv"
    stray.parent.mkdir()
    shutil.copy(downloaded, stray)
    data = tmp_path / "data"
    code = main(
        [
            "corrections",
            str(data),
            str(stray),
            str(downloaded),
            "--videos",
            str(labelled_master.out),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and "no video named nothing.*" in err[0] and "--videos" in err[0]
    assert (data / "labels" / "clip.csv").exists()  # the other file was still added


def test_another_models_classes_are_refused(
    downloaded: Path, labelled_master: Labelled, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "classes.txt").write_text("calm\nalarm\n")
    model = ["--model", default_model_path()]
    code = main(
        ["corrections", str(data), str(downloaded), "--videos", str(labelled_master.out), *model]
    )
    assert code == 1
    assert (
        "corrections for another model belong in another dataset folder" in capsys.readouterr().err
    )
