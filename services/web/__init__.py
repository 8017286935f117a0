"""The ASGI entry (``asgi.py``): Streamlit's pages under uvicorn, with the routes beside them
(health, readiness, configuration status; later the JSON API and Plaid's webhooks) and the
security headers every response carries. It may use everything below it; nothing of ours
imports it."""
