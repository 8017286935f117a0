"""Experian: the client, the parser of its credit report and the tables of its codes."""
