"""piecepay: a command-line escrow and piece-rate ledger."""

__version__ = "0.1.0"
