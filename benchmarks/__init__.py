"""Benchmarks: tickbook side by side with its peers, in one process, printing ratios."""
