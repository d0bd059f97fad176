"""Sequence models (pure torch) and the LightningModule that trains them."""
