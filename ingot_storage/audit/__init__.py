"""The audit trail in PostgreSQL: the hash-chained log, its signing key, signed checkpoints
(in the table and in a file outside the database), inclusion proofs, verification, and the
trail of one database that ties them together.
"""
