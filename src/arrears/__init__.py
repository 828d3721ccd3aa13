"""Arrears: an accounts-receivable collections workspace."""

__version__ = "0.1.0"
