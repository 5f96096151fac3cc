"""Reading: query, windows, parse, the one scheduler, cache, scan, frames. Never imports requests."""
