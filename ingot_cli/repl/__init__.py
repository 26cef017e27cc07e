"""The interactive REPL: one file per concern (loop, completion, toolbar)."""
