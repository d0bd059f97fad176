"""Labeled data: annotation formats, the MS-TCN layout, and the DataModule."""
