"""Territory design, TAM / SAM / SOM runs, market prioritization, segments and coverage (DESIGN.md §3).

Depends on the core (salesplan) and accounts; never imported by them.
"""
