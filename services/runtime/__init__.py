"""The Streamlit-bound runtime: settings, the session's state, the cached loaders, the
process-wide clients and vault. The only services package that imports Streamlit."""
