"""The automation in SQL, one module per port of `services/automation_ports.py`: the selection of
what is due, the step-run ledger, the outbox, and the cycle runs."""
