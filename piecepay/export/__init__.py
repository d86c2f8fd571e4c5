"""Exports of the journal: CSV, JSON lines, hledger and beancount journals."""
