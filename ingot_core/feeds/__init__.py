"""Live and replayed market feeds: where ticks come from, and what a running feed counts."""
