"""The database itself and the generic tools over it: tables, opening (external or embedded)
and its idle watch, migrations, COPY helpers, advisory locks, status, local files, streaming
exports.
"""
