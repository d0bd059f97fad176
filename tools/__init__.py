"""Development tools beside the product (not in the wheel): the fuzz harness, synthetic videos."""
