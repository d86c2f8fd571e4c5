"""``piecepay serve``: the ledger served to its parties over HTTP, a JSON API and web pages.

Installed with the ``server`` extra (Starlette, uvicorn, python-multipart); nothing here is
imported by the command line until ``serve`` runs. Every request opens the ledger, finds the
party its token names (``piecepay.parties``), runs the same typed operations the command
line runs, recorded under the token's name, and closes the ledger again.
"""
