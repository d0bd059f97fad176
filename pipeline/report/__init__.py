"""The HTML report of labelled outputs: one self-contained page per video, and an index.

    from pipeline.report import write_report, write_reports
    write_report(Path("out"), "clip", gt=Path("clip.truth.csv"))   # out/clip.report.html
    write_reports(Path("out"))                                      # every video + index.html

Modules follow the data: `data` (load an output folder into dataclasses), `truth` (read and
score ground truth), `review` (what deserves a look), `traces` (downsampling), `thumbnails`,
`payload` (the page's JSON), `sections` / `page` / `index` (HTML), `handoff` (.otio/.edl,
chapters), `build` (the two entry points). The command is `pipeline.commands.report`.
"""

from pipeline.report.build import ReportOptions, write_report, write_reports

__all__ = ["ReportOptions", "write_report", "write_reports"]
