"""Double-entry accounting: currencies, accounts, transactions and the ledger."""

from ingot_core.accounting.account import Account, AccountType, EntrySide
from ingot_core.accounting.bootstrap import (
    bootstrap_ledger,
    capital_account_name,
    cash_account_name,
    ensure_currency_accounts,
    fee_account_name,
    holdings_account_name,
    trading_account_name,
)
from ingot_core.accounting.currency import Currency, currency
from ingot_core.accounting.fills import FillPosting, fill_problems, post_order_fill
from ingot_core.accounting.ledger import Balance, Ledger, ValidatedTransaction, validate_transaction
from ingot_core.accounting.transaction import Entry, Transaction

__all__ = [
    "Account",
    "AccountType",
    "Balance",
    "Currency",
    "Entry",
    "EntrySide",
    "FillPosting",
    "Ledger",
    "Transaction",
    "ValidatedTransaction",
    "bootstrap_ledger",
    "capital_account_name",
    "cash_account_name",
    "currency",
    "ensure_currency_accounts",
    "fee_account_name",
    "fill_problems",
    "holdings_account_name",
    "post_order_fill",
    "trading_account_name",
    "validate_transaction",
]
