"""The `trust-auditor` operator command: check-policy, scan and findings."""
