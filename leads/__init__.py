"""Campaigns, leads, lead scoring and routing (DESIGN.md §3): the top layer, depends on all the others."""
