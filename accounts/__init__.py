"""Firmographic accounts, contacts, import/export, ICP scoring, account strategy and plans (DESIGN.md §3).

Depends on the core (salesplan) only.
"""
