"""Where market data comes from: exchange adapters (Kraken's REST API over httpx), reading
every answer within bounds.
"""
