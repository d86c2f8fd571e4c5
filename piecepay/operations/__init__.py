"""The operations, grouped by the nouns of DESIGN.md: each takes typed values, runs in one
transaction, applies its rules from ``piecepay.rules`` and returns domain records."""
