"""Traditional mode's history store (``DATABASE_URL``): what a person's accounts, transactions,
daily balances, credit reports and scores were, kept in SQLite or PostgreSQL. No Streamlit:
the runtime holds one ``HistoryStore`` per process and asks it; this package decides nothing
about what the history means (that is ``services.analytics``)."""
