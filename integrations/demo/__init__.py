"""The embedded demo: Plaid- and Experian-shaped bodies, generated for a given day, that the
real parsers read (so demo data takes the same path as a live fetch)."""
