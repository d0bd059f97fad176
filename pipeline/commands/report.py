"""`framelabel report OUT_DIR [--gt FILE | --corrections FILE...]`: a page per labelled video, an index, editor files.

Each video is reported independently: one that fails prints one line and the others are still
written; the exit code is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.data.corrections import corrected_name
from pipeline.errors import AnnotationError, ConfigError, FramelabelError
from pipeline.outputs.editorial import MIN_CHAPTER_S
from pipeline.outputs.layout import CORRECTED_SUFFIX, INDEX_NAME, LABELS_SUFFIX
from pipeline.report.build import ReportOptions, check_out_dir, labelled_names, report_video
from pipeline.report.handoff import write_chapters, write_timelines
from pipeline.report.index import write_index
from pipeline.report.page import EMBED_MAX_MB
from pipeline.report.review import LOW_CONFIDENCE
from pipeline.report.share import write_zip
from pipeline.report.truth import DEFAULT_TOLERANCE, VideoReport


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR", help="the --out folder of framelabel label")
    p.add_argument(
        "--gt",
        type=Path,
        help="ground truth: an annotation file (segments CSV, per-frame CSV, MS-TCN .txt) or a "
        "dataset folder",
    )
    p.add_argument(
        "--corrections",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="NAME.corrected.csv files (the page's download): each is the truth of its video",
    )
    p.add_argument("--videos", type=Path, help="folder of the source videos, if not in OUT_DIR")
    p.add_argument("--name", action="append", help="report only this video (repeatable)")
    p.add_argument(
        "--low-confidence",
        type=float,
        default=LOW_CONFIDENCE,
        help="confidence under which frames are flagged for a look",
    )
    p.add_argument(
        "--boundary-classes",
        help="comma-separated classes whose onsets are scored (default: all but the most "
        "common true class)",
    )
    p.add_argument(
        "--tolerance",
        type=int,
        default=DEFAULT_TOLERANCE,
        help="frames either side within which a predicted onset matches a true one",
    )
    p.add_argument(
        "--no-editorial",
        action="store_true",
        help="skip the editor timelines (NAME.otio, .edl, .xml, .fcpxml)",
    )
    p.add_argument(
        "--media-root",
        help="name the source in the timelines as MEDIA_ROOT/FILE (a folder or URL prefix on "
        "the editor's machine) instead of a path relative to OUT_DIR",
    )
    share = p.add_mutually_exclusive_group()
    share.add_argument(
        "--embed",
        action="store_true",
        help=f"put the video inside the page (videos up to {EMBED_MAX_MB} MB): one file to send",
    )
    share.add_argument(
        "--zip",
        action="store_true",
        help="also write NAME.report.zip: the page, its video and the tracks, to open anywhere",
    )
    p.add_argument(
        "--chapters",
        action="store_true",
        help="rewrite NAME.annotated.mp4 with one chapter per segment (streams copied)",
    )
    p.add_argument(
        "--min-chapter",
        type=float,
        default=MIN_CHAPTER_S,
        metavar="SECONDS",
        help="segments shorter than this join the chapter before them",
    )


def _options(args: argparse.Namespace) -> ReportOptions:
    classes = None
    if args.boundary_classes is not None:
        classes = tuple(c.strip() for c in args.boundary_classes.split(",") if c.strip())
    return ReportOptions(
        videos=args.videos,
        low_confidence=args.low_confidence,
        boundary_classes=classes,
        tolerance=args.tolerance,
        video_link="embed" if args.embed else "relative",
    )


def _truth_files(args: argparse.Namespace, out_dir: Path) -> dict[str, Path]:
    """{NAME: its --corrections file}; each file must exist and name a labelled video."""
    if args.corrections and args.gt is not None:
        raise ConfigError("--gt and --corrections both give the truth; pass one of them")
    files = {}
    for path in args.corrections or []:
        name = corrected_name(path)
        if not path.is_file():
            raise AnnotationError(f"--corrections {path} does not exist; check the path")
        if not (out_dir / f"{name}{LABELS_SUFFIX}").is_file():
            raise AnnotationError(
                f"--corrections {path}: no labelled video {name} in {out_dir} (its name comes "
                f"from the file name, NAME{CORRECTED_SUFFIX}); rename it or label the video"
            )
        files[name] = path
    return files


def _one(out_dir: Path, name: str, args: argparse.Namespace, truth: Path | None) -> VideoReport:
    """Page, editor files and chapters of one video; prints what was written."""
    report = report_video(out_dir, name, truth, _options(args))
    written = [report.page]
    if not args.no_editorial:
        written += write_timelines(report.video, args.media_root)
    if args.chapters and (mp4 := write_chapters(report.video, args.min_chapter)) is not None:
        written.append(mp4)
    if args.zip:
        written.append(write_zip(report, _options(args)))
    size_kb = report.page.stat().st_size / 1024
    names = ", ".join(p.name for p in written[1:])
    print(f"{name}: {report.page} ({size_kb:.0f} KB)" + (f"; {names}" if names else ""))
    return report


def run_report(args: argparse.Namespace) -> int:
    """Report every labelled video in OUT_DIR (or those named); exit 1 if any failed."""
    out_dir = check_out_dir(Path(args.out_dir))
    if args.gt is not None and not args.gt.exists():
        raise AnnotationError(
            f"--gt {args.gt} does not exist; expected an annotation file or a dataset folder"
        )
    corrections = _truth_files(args, out_dir)
    names = args.name or labelled_names(out_dir)
    reports, failed = [], 0
    for name in names:
        try:
            reports.append(_one(out_dir, name, args, corrections.get(name, args.gt)))
        except FramelabelError as err:
            failed += 1
            print(f"framelabel report: {name}: {err}", file=sys.stderr)
    if reports:
        print(f"index: {write_index(out_dir / INDEX_NAME, reports)}")
    return 1 if failed else 0
