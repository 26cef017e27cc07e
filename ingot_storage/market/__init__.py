"""Market data: the bar and tick store, batch ingestion from files (the fast COPY path for
OHLCV CSV and the careful row path), the Kraken backfill, and the QuestDB mirror.
"""
