"""The ledger in PostgreSQL: accounts, transactions, recovery, the book (opened from its newest
state snapshot), the registry of books, and `db check`.
"""
