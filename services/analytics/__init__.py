"""Pure analytics: pandas and dataclasses over the domain models, no Streamlit and no clients,
so every figure can be tested without a page or a network."""
