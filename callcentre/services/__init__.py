"""Use-cases that change data. They flush but never commit: the caller owns the transaction."""
