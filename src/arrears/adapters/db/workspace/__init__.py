"""The collector's workspace in SQL, one module per area, mirroring the ports of
`services/workspace_ports.py`: tasks, the task list, alerts, the audit log, balances, plans,
disputes, accounts, the customer record, the dashboard, and the ledger's reads.

The task list is one read-model query over tasks, customers and `customer_balances` (overdue amounts
kept per customer, refreshed set-based when the ledger changes and once a day), so a page never sums
invoices row by row.
"""
