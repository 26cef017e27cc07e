"""The trade log's storage: rows, a non-blocking writer with its spill, queries, retention."""
