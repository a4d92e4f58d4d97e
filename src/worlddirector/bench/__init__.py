"""Benchmarks behind ``worlddirector bench``: speed and accuracy, printed as tables."""
