"""Notices on their way out: the channel adapters (email over SMTP, SMS and phone tasks through
an HTTP gateway) and the relay that delivers what the ledger's outbox holds."""
