"""Charts kept in a page's figures are turned into a Vega-Lite spec once (pages/_shared
draw_chart); the browser must get exactly what st.altair_chart would send, on every rerun."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def script() -> None:
    import streamlit as st

    from pages._shared import draw_chart
    from services.analytics.history import snapshot_analyses
    from services.analytics.transactions import monthly_spending_by_category
    from services.runtime import loaders as data
    from services.views.bills_figures import bills_figures, calendar_charts
    from services.views.charts import monthly_trend_chart
    from services.views.page_figures import card_figures
    from tests.support.clock import TODAY

    snap = data.load_demo_snapshot(TODAY)
    figures = st.session_state.setdefault("figures", card_figures(snap, TODAY))
    if "monthly" not in st.session_state:
        monthly = monthly_spending_by_category(snap.transactions, "USD")
        st.session_state["monthly"] = monthly_trend_chart(monthly, "USD")
    if "bills" not in st.session_state:
        streams = snapshot_analyses(snap.transactions, TODAY).streams
        bills = bills_figures(snap, streams, TODAY, 30)
        st.session_state["bills"] = calendar_charts(bills, bills.events, "USD")
    for chart in (figures.chart, st.session_state["monthly"], *st.session_state["bills"]):
        st.altair_chart(chart, width="stretch")
        draw_chart(chart, width="stretch")


def drawn(at: AppTest) -> list[tuple[str, list[tuple[str, bytes]]]]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [(c.proto.spec, [(d.name, d.data.data) for d in c.proto.datasets]) for c in charts]


def test_a_drawn_chart_is_what_altair_chart_sends_on_every_rerun() -> None:
    at = AppTest.from_function(script, default_timeout=60)
    for _ in range(3):  # first run converts; the reruns draw the kept spec
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        charts = drawn(at)
        assert len(charts) == 8
        for altair_sent, kept_sent in zip(charts[0::2], charts[1::2], strict=True):
            assert kept_sent == altair_sent
            datasets = kept_sent[1]
            assert datasets  # the data went along
            assert all(data for _, data in datasets)
