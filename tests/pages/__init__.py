"""Page tests: the app run through Streamlit's AppTest, with the Plaid double and an Experian
stand-in behind it (fault matrix, canary sweep, calendar sweep included)."""
