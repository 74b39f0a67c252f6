"""The app's infrastructure: extensions, database dialect helpers, Redis and RQ, the after-commit
hooks, the one list of periodic work, file storage, metrics and health checks. No domain rules."""
