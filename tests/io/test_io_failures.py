"""Every reader failure is one clean line naming the file, what is wrong and the fix; a batch
goes on past it. Each broken input is made inside its test."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.cli import main
from pipeline.errors import CorruptVideoError, UnsupportedVideoError
from pipeline.io import open_video
from pipeline.io.pyav_reader import PyAVReader
from tools.synth import write_test_video


def _unknown_fourcc_avi(path: Path) -> Path:
    """An MPEG-4 AVI whose FourCC is replaced by one no decoder knows: the stream opens with no
    codec context."""
    good = path.with_name("good.avi")
    with av.open(str(good), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), "rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    data = good.read_bytes()
    assert b"FMP4" in data  # the tag FFmpeg writes for its MPEG-4 encoder
    path.write_bytes(data.replace(b"FMP4", b"QQZZ"))
    return path


def _errors(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "framelabel" in line]


@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_a_stream_with_no_decoder_is_one_line_in_info(tmp_path, capsys, backend):
    bad = _unknown_fourcc_avi(tmp_path / "odd.avi")
    with pytest.raises(UnsupportedVideoError, match="cannot decode"):
        open_video(bad, backend=backend)
    assert main(["info", str(bad), "--backend", backend]) == 1
    errors = _errors(capsys)
    assert len(errors) == 1 and "odd.avi" in errors[0] and "Re-encode" in errors[0]


def test_a_stream_with_no_decoder_does_not_stop_a_label_batch(tmp_path, capsys):
    bad = _unknown_fourcc_avi(tmp_path / "odd.avi")
    good = write_test_video(tmp_path / "fine.mp4", 12)
    out = tmp_path / "out"
    code = main(["label", str(bad), str(good), "--out", str(out), "--no-video", "--quiet"])
    errors = [e for e in _errors(capsys) if "odd.avi" in e]
    assert code == 1 and len(errors) == 1 and "cannot decode" in errors[0]
    assert (out / "fine.labels.csv").is_file()
    assert not list(out.glob("odd*")) and not list(out.glob(".*"))


def test_an_ffmpeg_error_while_probing_is_a_clean_error(tmp_path, monkeypatch, capsys):
    video = write_test_video(tmp_path / "clip.mp4", 8)

    def refuse(self):
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr(PyAVReader, "_first_frames", refuse)
    with pytest.raises(CorruptVideoError, match="first frames"):
        open_video(video)
    assert main(["info", str(video)]) == 1
    assert len(_errors(capsys)) == 1


@contextlib.contextmanager
def _http_server(folder: Path):
    """A plain HTTP server on the loopback address (no range requests), for the test's files."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _remux_index_last(src: Path, dst: Path) -> Path:
    """Copy the video packets into an mp4 whose index (moov) comes after the data."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return dst


def test_a_url_that_yields_no_frame_is_an_error_not_an_empty_result(tmp_path, capsys, bikes_mp4):
    """A real mp4 whose index is at its end, served without range requests: OpenCV opens it
    but reads no frame. That must not label 0 frames and exit 0."""
    served = tmp_path / "www"
    served.mkdir()
    _remux_index_last(bikes_mp4, served / "late_index.mp4")
    out = tmp_path / "out"
    with _http_server(served) as base:
        url = f"{base}/late_index.mp4"
        code = main(["label", url, "--backend", "opencv", "--out", str(out), "--no-video"])
    errors = _errors(capsys)
    assert code == 1
    assert len(errors) == 1 and "read no frame" in errors[0] and "--backend pyav" in errors[0]
    assert [p.name for p in out.iterdir()] == ["manifest.jsonl"]  # the failure, recorded
    assert '"status": "failed"' in (out / "manifest.jsonl").read_text().splitlines()[-1]
