"""Ingot's pure domain: accounting, execution and market data types.

Nothing here performs I/O, reads the clock, talks to a database or prints.
"""
