"""The `framelabel` command as a user meets it: info, help, version, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.cli import main
from tools.synth import truncate_copy


@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_info_counts_a_real_clip(bikes_mp4, backend, capsys):
    assert main(["info", "--count", "--backend", backend, str(bikes_mp4)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["width"], info["height"], info["frames"]) == (640, 272, 250)
    assert info["backend"] == backend and info["codec"] == "h264"
    assert set(info) == {
        "path",
        "width",
        "height",
        "fps",
        "frames",
        "duration_s",
        "has_audio",
        "rotation",
        "codec",
        "backend",
    }


def test_info_on_a_truncated_copy_is_clean(bikes_mp4, tmp_path, capsys):
    broken = truncate_copy(bikes_mp4, tmp_path / "broken.mp4", 0.5)
    code = main(["info", "--count", str(broken)])
    out, err = capsys.readouterr()
    if code == 0:  # a partial count, with a warning
        assert 0 < json.loads(out)["frames"] < 250
    else:
        assert len(err.strip().splitlines()) == 1 and "broken.mp4" in err


def test_info_on_a_text_file_is_one_line(tmp_path, capsys):
    fake = tmp_path / "notes.mp4"
    fake.write_text("meeting notes\n")
    good = tmp_path / "missing.mp4"
    assert main(["info", str(fake), str(good)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "notes.mp4" in err[0] and "not a video" in err[0]
    assert "missing.mp4" in err[1]


def test_the_console_script_lists_commands_and_version():
    run = [sys.executable, "-m", "pipeline.cli"]
    help_text = subprocess.run([*run, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("fit", "validate", "test", "predict", "info", "label", "extract"):
        assert command in help_text
    version = subprocess.run([*run, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("framelabel ")
