"""The local launcher: the dev server with its Web UI, the ledger, the worker, the HTTP API and
the mail sink in one process tree (`python -m launcher`), and the demo's sample complaints.
The top of the house: it composes every other package and nothing imports it."""
