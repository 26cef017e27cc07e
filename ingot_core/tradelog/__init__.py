"""The unified trade log (seed 002): every request, response and exchange event, as typed
columns for filters and the exact text as sent or received."""
