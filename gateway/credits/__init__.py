"""Credits: the ledger, what each step costs, reservations for jobs, and buying more."""
