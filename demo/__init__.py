"""`make demo`: trust-auditor's three functions on a small organization, with moto as AWS."""
