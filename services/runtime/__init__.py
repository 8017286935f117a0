"""The Streamlit-bound runtime: settings, the session's state, the cached loaders, the
process-wide clients and vault. With services.web (the ASGI entry), the only services package
that imports Streamlit."""
