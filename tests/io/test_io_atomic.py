"""atomic_output / check_output_dir: all-or-nothing output files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import OutputExistsError, OutputNotWritableError
from pipeline.io import atomic_output, check_output_dir


def test_text_file_appears_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "clip.labels.csv"  # folder created on demand
    with atomic_output(target) as fh:
        fh.write("frame,label\n0,calm\n")
        assert not target.exists()  # nothing under the final name while writing
        assert len(list(target.parent.iterdir())) == 1  # the hidden temp file
    assert target.read_text() == "frame,label\n0,calm\n"
    assert list(target.parent.iterdir()) == [target]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failure_leaves_no_file(tmp_path: Path, error: type[BaseException]) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(error), atomic_output(target) as fh:
        fh.write("{half")
        raise error()
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as fh:
        fh.write("new, half written")
        raise RuntimeError
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_existing_file_needs_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(OutputExistsError, match="out.csv"):
        with atomic_output(target) as fh:
            fh.write("new")
    with atomic_output(target, overwrite=True) as fh:
        fh.write("new")
    assert target.read_text() == "new"


def test_binary_and_path_modes(tmp_path: Path) -> None:
    with atomic_output(tmp_path / "a.npy", mode="wb") as fh:
        np.save(fh, np.arange(3))
    with atomic_output(tmp_path / "b.npy", mode=None) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".npy" and tmp.name.startswith(".b.")
        np.save(tmp, np.arange(4))
    assert np.load(tmp_path / "a.npy").tolist() == [0, 1, 2]
    assert np.load(tmp_path / "b.npy").tolist() == [0, 1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "b.npy"]


def test_target_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputExistsError, match="is a folder"):
        with atomic_output(tmp_path / "out.csv", overwrite=True) as fh:
            fh.write("x")


def test_check_output_dir(tmp_path: Path) -> None:
    made = check_output_dir(tmp_path / "a" / "b")
    assert made.is_dir()
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    with pytest.raises(OutputNotWritableError, match="taken"):
        check_output_dir(blocker)
    with pytest.raises(OutputNotWritableError, match="taken"):
        check_output_dir(blocker / "inside")
