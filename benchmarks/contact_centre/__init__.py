"""A contact-centre day run against the real processes: generated customers (population),
a loopback Telegram Bot API (botapi), the processes (processes), customers and operators acting
through the webhook and the API (customers, operators), the day's own record (ledger), what is
read back at the end (audit) and what a user checks (checks). Used by
tests/simulation/ and benchmarks/contact_centre_day.py."""
