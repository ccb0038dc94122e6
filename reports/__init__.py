"""Monthly statistics of the complaint ledger (R-AN-1, R-AN-2, R-AN-4), their rendering as
JSON, CSV and printable HTML, and the import of exposure figures (claims, policies, premium)."""
