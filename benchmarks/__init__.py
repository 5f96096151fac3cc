"""Side-by-side benchmarks against the plain requests + pandas way (``make bench``)."""
