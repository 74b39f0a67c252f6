"""The formats of values people type: phone numbers, receipt codes, commune codes, search keys."""
