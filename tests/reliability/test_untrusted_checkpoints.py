"""A checkpoint is untrusted input: a pickle that would run code is refused, never run.

One test per entry point that takes a checkpoint: `label --model`, `fit --ckpt_path`,
`test --ckpt_path`. Each must print one short line and leave no marker file.
"""

from __future__ import annotations

import os

import pytest
import torch

from pipeline.cli import main
from tests.train_fixtures import TINY_MODEL_ARGS


class _Payload:
    """Unpickling this runs a shell command (the classic pickle code-execution payload)."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def evil_ckpt(tmp_path):
    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": _Payload(marker)}}, path)
    return path, marker


def _one_refusal(capsys, path) -> str:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    errors = [ln for ln in err if ln.startswith("framelabel")]
    assert len(errors) == 1, err
    assert str(path) in errors[0] and "refused" in errors[0] and len(errors[0]) < 400
    assert not [ln for ln in err if "Warning" in ln or "Traceback" in ln], err
    return errors[0]


def test_label_refuses_a_code_running_model(evil_ckpt, tmp_path, capsys):
    path, marker = evil_ckpt
    video = tmp_path / "v.mp4"
    from tools.synth import write_test_video

    write_test_video(video, 4)
    code = main(["label", str(video), "--model", str(path), "--out", str(tmp_path / "o")])
    assert code == 1 and not marker.exists()
    assert "posix.system" in _one_refusal(capsys, path)


@pytest.mark.parametrize("command", ["fit", "test"])
def test_fit_and_test_refuse_a_code_running_ckpt_path(
    command, evil_ckpt, tiny_root, tmp_path, capsys
):
    path, marker = evil_ckpt
    argv = [command, "--data.root", str(tiny_root), "--trainer.default_root_dir", str(tmp_path),
            *TINY_MODEL_ARGS, "--ckpt_path", str(path)]  # fmt: skip
    assert main(argv) == 1 and not marker.exists()
    _one_refusal(capsys, path)


def test_fit_refuses_an_exported_checkpoint_as_a_resume_point(trained, tmp_path, capsys):
    slim = tmp_path / "slim.ckpt"
    assert main(["export", str(trained["best"]), str(slim)]) == 0
    argv = ["fit", "--data.root", str(trained["root"]), "--trainer.default_root_dir",
            str(tmp_path), *TINY_MODEL_ARGS, "--ckpt_path", str(slim)]  # fmt: skip
    assert main(argv) == 1
    assert "no training state" in capsys.readouterr().err
