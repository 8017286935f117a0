"""Plaid: the client that calls it and the parser that turns its bodies into our models."""
