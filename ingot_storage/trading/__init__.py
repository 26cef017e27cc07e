"""What a trading session stands on: the order history and the state an engine starts from,
the book's trading lock (one process at a time), and the checks made before it trades.
"""
