"""Hostile environments: each failure is one clear line, nothing half-written under a final
name, and the rest of a batch goes on.

Read-only and full filesystems are real mounts in a private mount namespace (`unshare`),
skipped where that is not permitted; the file-size limit works everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pipeline
from pipeline.cli import main
from tools.synth import write_test_video


def _noisy_video(path: Path, frames: int = 40) -> Path:
    rng = np.random.default_rng(0)
    return write_test_video(
        path, frames, size=(160, 120),
        frame_fn=lambda i: rng.integers(0, 255, (120, 160, 3), dtype=np.uint8),
    )  # fmt: skip


def _can_unshare_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


def _errors(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("framelabel")]


def _finals(folder: Path) -> list[str]:
    """Every file a run left, but the manifest (which records the failures)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != "manifest.jsonl")


def test_read_only_full_and_size_limited_outputs_fail_cleanly(tmp_path):
    video = _noisy_video(tmp_path / "clip.mp4")
    ro, full, limited = tmp_path / "ro", tmp_path / "full", tmp_path / "limited"
    for folder in (ro, full, limited):
        folder.mkdir()
    (ro / "out").mkdir()  # an existing folder on a read-only mount
    driver = [sys.executable, "-m", "tests.reliability.hostile_driver", str(video)]
    scenarios = [f"fsize={limited}"]
    mounts = _can_unshare_mount()
    if mounts:
        scenarios += [f"readonly={ro / 'out'}", f"nospace={full}"]
        script = (
            f"mount --bind {ro} {ro} && mount -o remount,ro,bind {ro} && "
            f'mount -t tmpfs -o size=40k none {full} && exec "$@"'
        )
        driver = ["unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh", *driver]
    env = {**os.environ, "PYTHONPATH": str(Path(pipeline.__file__).parent.parent)}
    done = subprocess.run([*driver, *scenarios], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip
    results = {r["scenario"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert len(results) == len(scenarios), done.stderr[-3000:]
    expected = {"fsize": "File too large", "readonly": "not writable", "nospace": "No space"}
    for name, result in results.items():
        errors = _errors(result["err"])
        assert result["code"] == 1, result
        assert len(errors) == 1 and expected[name] in errors[0], result["err"]
        assert "Traceback" not in result["err"]
    assert _finals(limited) == []  # neither final outputs nor temp files
    if not mounts:
        pytest.skip("read-only and full-disk mounts need unshare; only the size limit ran")


def test_output_path_that_is_a_file(tmp_path, capsys):
    video = write_test_video(tmp_path / "clip.mp4", 4)
    (tmp_path / "out").write_text("not a folder")
    assert main(["label", str(video), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 1 and "a file of that name is in the way" in errors[0]


def test_an_input_that_disappears_mid_batch(tmp_path, capsys, monkeypatch):
    videos = [write_test_video(tmp_path / f"v{i}.mp4", 6) for i in range(3)]
    from pipeline.label.job import LabelJob

    real_run = LabelJob.run

    def run_then_delete(self, source, name, **kwargs):
        result = real_run(self, source, name, **kwargs)
        if source == str(videos[0]):
            videos[1].unlink()  # gone after the batch was listed, before its turn
        return result

    monkeypatch.setattr(LabelJob, "run", run_then_delete)
    out = tmp_path / "out"
    code = main(["label", *map(str, videos), "--out", str(out), "--no-video", "--quiet"])
    errors = _errors(capsys.readouterr().err)
    assert code == 1
    assert len(errors) == 1 and "v1.mp4" in errors[0] and "does not exist" in errors[0]
    assert {p.split(".")[0] for p in _finals(out)} == {"v0", "v2"}
