"""The complaint ledger (投诉台账) in PostgreSQL: its schema (`migrations/`, applied by
`python -m ledger.migrate`) and every SQL statement the system runs against it, in modules
named for what they hold. Callers (activities, the relay, the API, the reports) pass a pool
or a connection and get rows or models back; none of them writes SQL."""
