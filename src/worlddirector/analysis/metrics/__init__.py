"""One module per metric; each documents its formula. Every metric is in [0, 1], higher is better."""
