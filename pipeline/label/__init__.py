"""The labeling job: options, decode plan, streaming labeler, per-video job, results,
batch and manifest."""
