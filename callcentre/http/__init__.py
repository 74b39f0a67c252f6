"""What every HTTP endpoint shares: who is calling (auth), errors, Idempotency-Key, pagination."""
