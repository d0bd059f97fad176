"""Threads joined by bounded queues: decode ahead, consume behind, with errors re-raised in the
main thread. Queue bounds come from a byte budget, so memory does not grow with frame size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

_END = object()  # end-of-stream marker in the queues


@dataclass(frozen=True)
class FrameBudget:
    """How many frames of `frame_bytes` each buffer may hold within `total_bytes`.

    The budget is split between the decode-ahead queue, the chunk the model works on (plus the
    frames a look-ahead holds back) and the writer's queue. Every buffer keeps at least the
    minimum that lets the stages overlap, so a huge frame costs at most a few frames each.
    """

    total_bytes: int
    frame_bytes: int

    @classmethod
    def for_frames(
        cls, buffer_mb: int, size: tuple[int, int], model_size: tuple[int, int]
    ) -> FrameBudget:
        """`buffer_mb` for frames of RGB at `size` plus their copy at the model's size."""
        (w, h), (mw, mh) = size, model_size
        return cls(buffer_mb << 20, 3 * (w * h + mw * mh))

    def _frames(self, share: float, minimum: int) -> int:
        return max(minimum, int(self.total_bytes * share) // max(1, self.frame_bytes))

    @property
    def decode_ahead(self) -> int:
        return self._frames(0.25, 2)

    def chunk(self, requested: int) -> int:
        """Frames per model step: the requested chunk size, fewer for big frames (results do
        not depend on it: streaming = offline)."""
        return max(1, min(requested, self._frames(0.25, 1)))

    @property
    def write_behind(self) -> int:
        return self._frames(0.25, 2)


def _producer(source: Iterable, out: queue.Queue, stop: threading.Event) -> None:
    """Run in a thread: put every item, then _END (or the exception)."""
    try:
        for item in source:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_END)
    except BaseException as err:  # handed to the consumer, which re-raises it in the main thread
        out.put(err)


class ThreadedIterator:
    """Iterate `source` in a background thread through a bounded queue (decode ahead)."""

    def __init__(self, source: Iterable, maxsize: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=_producer, args=(source, self.queue, self.stop), daemon=True
        )
        self.thread.start()

    def __iter__(self) -> Iterator:
        while (item := self.queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        while self.thread.is_alive():  # drain so a blocked put returns
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass


class ThreadedSink:
    """Apply `consume(item)` in a background thread; errors surface at put() or finish()."""

    def __init__(self, consume: Callable, maxsize: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(consume,), daemon=True)
        self.thread.start()

    def _run(self, consume: Callable) -> None:
        while (item := self.queue.get()) is not _END:
            if self.error is None:
                try:
                    consume(item)
                except BaseException as err:  # re-raised in the main thread
                    self.error = err

    def put(self, item: object) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def finish(self) -> None:
        self.queue.put(_END)
        self.thread.join()
        if self.error is not None:
            raise self.error


def chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
