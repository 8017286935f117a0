"""View-models: what each page shows (figures, Altair charts, formatted text, CSV export),
computed from analytics without Streamlit so that a page only renders them."""
