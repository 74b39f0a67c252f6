"""Marshmallow schemas: input validation and per-audience serialisation."""
