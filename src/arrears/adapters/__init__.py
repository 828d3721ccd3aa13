"""Adapters: the database, passwords, email and other things outside the domain."""
