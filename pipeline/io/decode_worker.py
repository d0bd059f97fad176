"""Decoding in a worker process: model-size frames through a pipe, beside the model, not under
its interpreter lock, and started before the model has loaded.

`label --no-video` is bound by decoding. In one process the decoder waits for `import torch`
and the checkpoint (about a second on a small CPU) and then shares the interpreter lock with
the model; a worker decodes the first input while the parent is still loading, and every
input beside the model after that. The worker runs the same `VideoReader` as the in-process
path, so the frames, and the labels, are identical.

Protocol (pickles over the worker's stdin and stdout; both ends are this module): the parent
sends one `DecodeRequest` per video; the worker answers ("info", VideoInfo), then ("frames",
[Frame, ...]) messages, then ("end", corrupt frame count) — or ("error", exception, traceback)
at any point. One worker serves a batch's videos one after another. A stream that is left
before its end (an error in the parent, Ctrl-C) kills the worker; the next request starts a
new one. Frames at model size are a few KB each; a full-size annotated-video run keeps its
frames in process (`LabelJob`).

    python -m pipeline.io.decode_worker   # the worker side; started by `DecodeWorker`
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipeline.core.frames import Frame, VideoInfo
from pipeline.core.sampling import Sampling

FRAMES_PER_MESSAGE = 32  # few messages per second of video; the first arrives after ~30 ms
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `pipeline`


@dataclass(frozen=True)
class DecodeRequest:
    """One video to decode: `open_video`'s arguments and how far the worker may read ahead."""

    source: str
    backend: str
    size: tuple[int, int]
    model_size: tuple[int, int]
    sampling: Sampling
    decode_ahead: int  # frames held in the worker while the parent is busy
    deblock: bool = True  # the model's Preprocessing.deblock


class WorkerDied(RuntimeError):
    """The worker process ended without finishing its answer (killed, out of memory)."""


class WorkerStream:
    """One video's frames from the worker, with a reader's `info`, `size` and
    `corrupt_frames`; iterate once. A context manager: leaving it early stops the worker."""

    def __init__(
        self, worker: DecodeWorker, request: DecodeRequest, info: VideoInfo, requested_at: float
    ) -> None:
        self.worker, self.info = worker, info
        self.size, self.model_size = request.size, request.model_size
        self.requested_at = requested_at  # perf_counter() when decoding was asked for
        self.corrupt_frames = 0
        self.finished = False

    def __iter__(self) -> Iterator[Frame]:
        while not self.finished:
            kind, *payload = self.worker.receive()
            if kind == "frames":
                yield from payload[0]
                continue
            self.finished = True
            self.worker.stream = None
            if kind == "end":
                self.corrupt_frames = payload[0]
            else:
                raise _worker_error(*payload)

    def close(self) -> None:
        if not self.finished:  # the worker is mid-video: only killing it stops the decoding
            self.finished = True
            self.worker.kill()

    def __enter__(self) -> WorkerStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class DecodeWorker:
    """A decode worker process, started on the first request; see the module docstring.

    `prefetch(request)` starts decoding before the caller is ready to read (while the model
    loads); `open(request)` returns the stream, adopting the prefetched one when it is the same
    request and replacing it otherwise.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.stream: WorkerStream | None = None
        self._pending: DecodeRequest | None = None  # sent, its answer not read yet
        self._sent_at = 0.0

    def prefetch(self, request: DecodeRequest) -> None:
        if self._pending is not None or self.stream is not None:
            self.kill()
        self._send(request)
        self._pending = request

    def open(self, request: DecodeRequest) -> WorkerStream:
        if self._pending != request:
            self.prefetch(request)
        self._pending = None
        kind, *payload = self.receive()
        if kind != "info":  # the video failed to open: the worker waits for the next one
            raise _worker_error(*payload)
        self.stream = WorkerStream(self, request, payload[0], self._sent_at)
        return self.stream

    def receive(self) -> tuple[Any, ...]:
        try:
            return pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            code = self.process.poll()
            self.kill()
            raise WorkerDied(f"the decode worker stopped unexpectedly (exit code {code})") from err

    def _send(self, request: DecodeRequest) -> None:
        if self.process is None or self.process.poll() is not None:
            self._spawn()
        pickle.dump(request, self.process.stdin)
        self.process.stdin.flush()
        self._sent_at = time.perf_counter()

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.io.decode_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        # a worker never outlives the object that owns it
        weakref.finalize(self, _stop_process, self.process)

    def kill(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
        self.process, self.stream, self._pending = None, None, None

    close = kill


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        try:
            pipe.close()
        except OSError:  # the worker is gone already
            pass


def _worker_error(error: BaseException, worker_traceback: str) -> BaseException:
    """The worker's exception, to raise here; a bug's traceback from the worker rides along."""
    from pipeline.errors import FramelabelError

    if not isinstance(error, FramelabelError):
        error.add_note(f"raised in the decode worker:\n{worker_traceback}")
    return error


# --- the worker side -----------------------------------------------------------------------


def _send(out: IO[bytes], message: tuple) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _send_error(out: IO[bytes], error: BaseException) -> None:
    text = "".join(traceback.format_exception(error))
    try:
        _send(out, ("error", error, text))
    except (pickle.PicklingError, TypeError, AttributeError):  # an exception pickle refuses
        _send(out, ("error", RuntimeError(f"{type(error).__name__}: {error}"), text))


def decode_one(request: DecodeRequest, out: IO[bytes]) -> None:
    """Answer one request: info, the frames in messages, then the end (or the error)."""
    from pipeline.io.reader import open_video
    from pipeline.io.streaming import ThreadedIterator, chunked

    try:
        reader = open_video(
            request.source,
            backend=request.backend,
            size=request.size,
            sampling=request.sampling,
            model_size=request.model_size,
            deblock=request.deblock,
        )
    except Exception as err:  # noqa: BLE001 - every failure goes back to the parent
        _send_error(out, err)
        return
    with reader:
        _send(out, ("info", reader.info))
        # decode on while this thread waits for the parent to take the frames; the queue
        # holds whole messages, so the two threads meet once per message, not once per frame
        batches = ThreadedIterator(
            chunked(reader, FRAMES_PER_MESSAGE), max(1, request.decode_ahead // FRAMES_PER_MESSAGE)
        )
        try:
            for batch in batches:
                _send(out, ("frames", batch))
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception as err:  # noqa: BLE001 - a decode error ends this video, not the worker
            _send_error(out, err)
            return
        finally:
            batches.close()
        _send(out, ("end", reader.corrupt_frames))


def serve(requests: IO[bytes], out: IO[bytes]) -> None:
    """Answer requests until the parent closes the pipe."""
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        decode_one(request, out)


def main() -> None:
    import logging

    # Ctrl-C reaches the whole process group: the parent handles it and stops this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # as the CLI: warnings show
    logging.getLogger("pipeline").setLevel(logging.INFO)
    # The parent reads the pipe on fd 1: keep it private, and send any stray output (a library
    # that prints) to stderr instead of into the frames.
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        serve(sys.stdin.buffer, frames_out)
    except (BrokenPipeError, ConnectionResetError):  # the parent has gone
        pass
    finally:
        os._exit(0)  # without waiting for a decode thread the parent no longer needs


if __name__ == "__main__":
    main()
