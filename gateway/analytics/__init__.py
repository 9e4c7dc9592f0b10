"""Analytics: figures aggregated in MongoDB from jobs, projects, the credit ledger and YouTube
view snapshots, and the weekly report with its charts."""
