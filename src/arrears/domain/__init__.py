"""The pure domain: money, dates and aging, the ledger's records and their validation."""
