"""Corpus labeling past one process: shards over torchrun ranks and simulated nodes give the
outputs of one process, one summary; a batch killed with SIGKILL resumes with only what is
missing; two writers never share an input's outputs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.io.locks import output_lock
from tools.synth import write_test_video

ROOT = Path(__file__).resolve().parents[1]
TRACKS = (".labels.csv", ".segments.csv", ".segments.json", ".vtt", ".srt")
LABEL = ["label", "--no-video", "--quiet"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for i in range(6):
        write_test_video(folder / f"clip{i}.mp4", 20 + 6 * i, size=(64, 48))
    return folder


@pytest.fixture(scope="module")
def one_process(clips, tmp_path_factory) -> Path:
    """The reference: one process with one torch thread, as torchrun starts each worker (the
    float sums of a convolution depend on the thread count at the 1e-6 level)."""
    out = tmp_path_factory.mktemp("one") / "out"
    args = [sys.executable, "-m", "pipeline.cli", *LABEL, str(clips), "--out", str(out)]
    subprocess.run(args, env=_env(), check=True, capture_output=True, timeout=300)
    return out


def _tracks(out: Path) -> dict[str, bytes]:
    """Every track file's bytes; segments.json without the command line it records (which
    names the output folder and the inputs of its own run)."""
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name.endswith(TRACKS)}
    for name in [n for n in files if n.endswith(".segments.json")]:
        meta = json.loads(files[name])
        assert meta.pop("command")[:2] == ["framelabel", "label"]
        files[name] = json.dumps(meta).encode()
    return files


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(*launcher: str, args: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", *launcher, "-m", "pipeline.cli"]
    return subprocess.Popen(
        [*command, *args], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_local_processes_write_what_one_process_writes(clips, one_process, tmp_path):
    bad = tmp_path / "in" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_text("not a video\n")
    out = tmp_path / "out"
    run = _torchrun("--nproc-per-node", "2", args=[*LABEL, str(clips), str(bad), "--out", str(out)])
    _, err = run.communicate(timeout=300)
    assert run.returncode != 0  # one input failed: the job says so
    assert err.count("labelled 6 of 7 inputs by 2 processes") == 1  # once, from rank 0
    assert len([line for line in err.splitlines() if "broken.mp4:" in line]) == 1
    assert _tracks(out) == _tracks(one_process)


def test_two_nodes_share_one_corpus(clips, one_process, tmp_path):
    out, port = tmp_path / "out", _free_port()
    nodes = [
        _torchrun(
            "--nnodes",
            "2",
            "--node-rank",
            str(rank),
            "--nproc-per-node",
            "1",
            "--master-addr",
            "127.0.0.1",
            "--master-port",
            str(port),
            args=[*LABEL, str(clips), "--out", str(out)],
        )  # fmt: skip
        for rank in (0, 1)
    ]
    errs = [node.communicate(timeout=300)[1] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], errs
    assert "labelled 6 of 6 inputs by 2 processes" in errs[0] and "labelled" not in errs[1]
    assert _tracks(out) == _tracks(one_process)


def _done_count(manifest: Path) -> int:
    text = manifest.read_text() if manifest.exists() else ""
    return text.count('"status": "done"')


def test_a_killed_batch_resumes_with_only_what_is_missing(clips, one_process, tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "pipeline.cli", *LABEL, str(clips), "--out", str(out)]
    batch = subprocess.Popen(args, env=_env(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _done_count(out / "manifest.jsonl") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    done = _done_count(out / "manifest.jsonl")
    assert 2 <= done < 6, "the batch must be killed part way"
    rerun = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"labelled {6 - done} of 6 inputs, {done} already done" in rerun.stderr
    assert _tracks(out) == _tracks(one_process)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp or lock files


def test_an_input_another_process_is_writing_is_left_to_it(clips, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out, "clip2"):  # as another labeling process would hold it
        assert main([*LABEL, str(clips), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "clip2" in err and "another framelabel process is writing" in err
    assert not (out / "clip2.labels.csv").exists() and (out / "clip3.labels.csv").exists()
    assert main([*LABEL, str(clips), "--out", str(out)]) == 0  # later: only clip2 is left
    assert "labelled 1 of 6 inputs, 5 already done" in capsys.readouterr().err


def test_a_lock_left_by_a_writer_killed_after_its_last_input_is_removed(clips, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*LABEL, str(clips), "--out", str(out)]) == 0
    (out / ".clip4.lock").touch()  # killed after recording clip4 as done, before unlocking
    assert main([*LABEL, str(clips), "--out", str(out)]) == 0
    assert "labelled 0 of 6 inputs, 6 already done" in capsys.readouterr().err
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    with output_lock(out, "clip5"):  # a lock someone holds is theirs: left alone
        assert main([*LABEL, str(clips), "--out", str(out)]) == 0
        assert (out / ".clip5.lock").exists()


def test_slurm_tasks_share_a_corpus(clips, one_process, tmp_path):
    """Two `srun` tasks on one node, as SLURM describes them to each process."""
    out = tmp_path / "out"
    slurm = {"SLURM_NTASKS": "2", "SLURM_NODELIST": "localhost", "SLURM_JOB_NAME": "label"}
    slurm |= {"SLURM_JOB_ID": str(_free_port()), "SLURM_NTASKS_PER_NODE": "2", "SLURM_NODEID": "0"}
    args = [sys.executable, "-m", "pipeline.cli", *LABEL, str(clips), "--out", str(out)]
    tasks = [
        subprocess.Popen(
            args,
            env={**_env(), **slurm, "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    errs = [task.communicate(timeout=300)[1] for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], errs
    assert "labelled 6 of 6 inputs by 2 processes" in errs[0]
    assert _tracks(out) == _tracks(one_process)
