"""Decoding in a worker process (`label` without the annotated video): the same frames and
labels as decoding in process, one worker for a batch, started before the model loads."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from pipeline.api import default_model_path
from pipeline.checkpoint.load import load_labeler
from pipeline.cli import main
from pipeline.core.sampling import Sampling
from pipeline.errors import CorruptVideoError, NotAVideoError, VideoNotFoundError
from pipeline.io.decode_worker import DecodeRequest, DecodeWorker, WorkerDied
from pipeline.io.reader import open_video

MODEL_SIZE = (64, 36)


def _request(path, sampling: Sampling | None = None, decode_ahead=64) -> DecodeRequest:
    sampling = sampling or Sampling()
    return DecodeRequest(str(path), "pyav", MODEL_SIZE, MODEL_SIZE, sampling, decode_ahead)


def _in_process(request: DecodeRequest):
    with open_video(
        request.source,
        backend=request.backend,
        size=request.size,
        sampling=request.sampling,
        model_size=request.model_size,
    ) as reader:
        return reader.info, list(reader)


@pytest.fixture
def worker():
    w = DecodeWorker()
    yield w
    w.close()


def test_worker_frames_are_the_in_process_frames(bikes_mp4, worker):
    request = _request(bikes_mp4, Sampling(stride=2, start_s=1.0, end_s=6.0), decode_ahead=8)
    info, expected = _in_process(request)
    with worker.open(request) as stream:
        assert stream.info == info
        got = list(stream)
    assert stream.corrupt_frames == 0 and len(got) == len(expected) > 50
    for mine, theirs in zip(got, expected, strict=True):
        assert (mine.index, mine.pts_s) == (theirs.index, theirs.pts_s)
        assert np.array_equal(mine.rgb, theirs.rgb) and mine.rgb.shape == (36, 64, 3)
        assert np.array_equal(mine.model_rgb, theirs.model_rgb)


def test_one_worker_serves_a_batch_and_a_stream_left_early_stops_it(
    bikes_mp4, bigbuckbunny_mp4, worker
):
    with worker.open(_request(bikes_mp4)) as stream:
        assert len(list(stream)) == 250
    first = worker.process
    with worker.open(_request(bigbuckbunny_mp4)) as stream:
        assert len(list(stream)) == 132
    assert worker.process is first  # the same process, video after video

    with worker.open(_request(bikes_mp4)) as stream:
        assert len(list(itertools.islice(stream, 10))) == 10
    assert first.poll() is not None  # left mid-video: killed, not left decoding
    _, expected = _in_process(_request(bigbuckbunny_mp4))
    with worker.open(_request(bigbuckbunny_mp4)) as stream:
        got = list(stream)
    assert worker.process is not first
    assert [f.index for f in got] == [f.index for f in expected]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(got, expected, strict=True))


def test_a_prefetched_request_is_adopted_and_another_replaces_it(
    bikes_mp4, bigbuckbunny_mp4, worker
):
    worker.prefetch(_request(bikes_mp4))
    prefetching = worker.process
    with worker.open(_request(bikes_mp4)) as stream:
        assert len(list(stream)) == 250
    assert worker.process is prefetching

    worker.prefetch(_request(bikes_mp4))
    with worker.open(_request(bigbuckbunny_mp4)) as stream:  # not what was prefetched
        frames = list(stream)
    assert [f.index for f in frames] == list(range(132))
    assert prefetching.poll() is not None


def test_open_errors_are_the_readers_errors_and_the_worker_goes_on(tmp_path, bikes_mp4, worker):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(bikes_mp4.read_bytes()[:2000])
    for path, kind in [
        (tmp_path / "missing.mp4", VideoNotFoundError),
        (text, NotAVideoError),
        (truncated, CorruptVideoError),
    ]:
        with pytest.raises(kind) as in_process:
            _in_process(_request(path))
        with pytest.raises(kind) as via_worker:
            worker.open(_request(path))
        assert str(via_worker.value) == str(in_process.value)
    alive = worker.process
    with worker.open(_request(bikes_mp4)) as stream:
        assert len(list(stream)) == 250
    assert worker.process is alive


def test_a_worker_that_dies_is_one_clear_error(bikes_mp4, worker):
    stream = worker.open(_request(bikes_mp4, decode_ahead=2))
    next(iter(stream))
    worker.process.kill()
    with pytest.raises(WorkerDied, match="decode worker stopped unexpectedly"):
        list(stream)


def test_checkpoint_input_settings_are_read_without_torch(tmp_path):
    probe = (
        "import sys; from pipeline.checkpoint.peek import peek_input_settings as p; "
        f"s = p({default_model_path()!r}); "
        "print(s.size, s.sampling.to_dict(), s.borders, s.deblock, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    bundle = load_labeler(default_model_path())
    borders, deblock = bundle.framing == "borders", bundle.preprocessing.deblock
    size, sampling = tuple(bundle.preprocessing.size), bundle.sampling.to_dict()
    expected = f"{size} {sampling} {borders} {deblock} False"
    assert out.stdout.strip() == expected

    from pipeline.checkpoint.peek import peek_input_settings

    (tmp_path / "text.ckpt").write_text("hello")
    assert peek_input_settings(tmp_path / "text.ckpt") is None
    assert peek_input_settings(tmp_path / "missing.ckpt") is None


def test_label_decodes_in_a_worker_started_before_the_model(
    bikes_mp4, bigbuckbunny_mp4, tmp_path, monkeypatch
):
    spawned = []
    real_spawn = DecodeWorker._spawn

    def counting_spawn(self):
        spawned.append(self)
        real_spawn(self)

    monkeypatch.setattr(DecodeWorker, "_spawn", counting_spawn)
    args = [str(bikes_mp4), str(bigbuckbunny_mp4), "--no-video", "--quiet", "--start", "0.5"]
    assert main(["label", *args, "--out", str(tmp_path / "worker")]) == 0
    assert len(spawned) == 1  # the prefetching worker was adopted and served both inputs
    assert spawned[0].process is None  # and stopped when the batch ended

    assert main(["label", *args, "--decode-in-thread", "--out", str(tmp_path / "thread")]) == 0
    assert len(spawned) == 1
    for name in ("bikes", "bigbuckbunny"):
        worker_csv = (tmp_path / "worker" / f"{name}.labels.csv").read_text()
        thread_csv = (tmp_path / "thread" / f"{name}.labels.csv").read_text()
        assert worker_csv == thread_csv and worker_csv.count("\n") > 100
