"""The complaint ledger (投诉台账) in PostgreSQL: its schema (`migrations/`, applied in order by
`python -m ledger.migrate`)."""
