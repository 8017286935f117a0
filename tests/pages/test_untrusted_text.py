"""Upstream text is text: hostile names, codes and messages from Plaid (served by the local
double) and Experian (answered by `responses`) reach every page, and no Markdown-rendering
element gets them in a form that could become a link, an image, HTML or a directive.

Every element of the rendered tree is walked through its protobuf, so a new element or a
new label on a page is checked without this file knowing about it. Only places that show
text as it is (st.text, dataframes, charts, and the option lists of selectbox and
multiselect) are left out; everything else (bodies, labels, values, deltas, help, tab
labels, radio and segmented-control options) counts as Markdown.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
import responses
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from services.views.format import markdown_money, plain
from tests.support import hostile_text as hostile
from tests.support.clock import TODAY
from tests.support.experian_support import answer_with_report, seeded
from tests.support.plaid_double import Fault, PlaidDouble

# Elements that show text as it is, never as Markdown; and the Plaid Link component, whose
# HTML, CSS and script are our own constants (tests/repo/test_hardening.py) and which writes what
# it gets through textContent.
VERBATIM_ELEMENTS = frozenset(
    {"Text", "Code", "Json", "Dataframe", "Arrow", "VegaLiteChart", "BidiComponent"}
)
# Widgets whose option lists are shown as they are (their label and help are Markdown).
VERBATIM_FIELDS = {
    "MultiSelect": frozenset({"options", "raw_values"}),
    "Selectbox": frozenset({"options", "raw_value"}),
}
ESCAPED = "\N{MIDDLE DOT}"  # stands in for a backslash-escaped character
UNSHOWABLE = frozenset("\x00\x1b\x7f\u202e")


# --- What a Markdown renderer would act on --------------------------------------------------


def _resolve_escapes(text: str, escaped: str | None) -> str:
    """The text with CommonMark's backslash escapes (of ASCII punctuation) resolved: each
    escaped character replaced by `escaped`, or kept as itself when that is None."""
    shown, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in string.punctuation:
            shown.append(text[index + 1] if escaped is None else escaped)
            index += 2
        else:
            shown.append(text[index])
            index += 1
    return "".join(shown)


def markup_in(text: str) -> list[str]:
    """What in `text` would still act as markup: CommonMark markers left unescaped, and
    what escaping cannot stop (bare URLs and e-mail addresses, Streamlit's icons)."""
    active = _resolve_escapes(text, ESCAPED)
    found = [marker for marker in hostile.MARKERS if marker in active]
    literal = _resolve_escapes(text, None)
    return found + [match.group() for match in hostile.FOUND_AFTER_ESCAPES.finditer(literal)]


def _strings(message: Message, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """(field, value) for every string in a protobuf message, nested messages included.
    Icons are our own constants (``:material/...:``), never text."""
    for field, value in message.ListFields():
        if field.name in skip or field.name == "icon":
            continue
        values = value if field.is_repeated else [value]
        if field.message_type is not None:
            if not field.message_type.GetOptions().map_entry:
                for nested in values:
                    yield from ((f"{field.name}.{n}", v) for n, v in _strings(nested))
        elif field.type == field.TYPE_STRING:
            yield from ((field.name, text) for text in values)


def markdown_texts(node: Node) -> Iterator[tuple[str, str]]:
    """(where, text) for every string of the tree that a Markdown renderer receives."""
    if isinstance(node, Block):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):  # tab and expander labels, among others
            yield from ((f"{node.type}.{name}", text) for name, text in _strings(proto))
        for child in node.children.values():
            yield from markdown_texts(child)
        return
    proto = node.proto
    kind = proto.DESCRIPTOR.name
    if kind in VERBATIM_ELEMENTS:
        return
    skip = VERBATIM_FIELDS.get(kind, frozenset())
    yield from ((f"{kind}.{name}", text) for name, text in _strings(proto, skip))


def page_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) for every Markdown text of the page, main area and sidebar."""
    for area in (at.main, at.sidebar):
        yield from markdown_texts(area)


def unsafe_texts(at: AppTest) -> list[tuple[str, list[str], str]]:
    """Every Markdown text of the page in which hostile markup or control characters act."""
    found = []
    for where, text in page_texts(at):
        problems = markup_in(text) + sorted(repr(c) for c in UNSHOWABLE & set(text))
        if problems:
            found.append((where, problems, text[:300]))
    return found


def all_markdown(at: AppTest) -> str:
    return "\n".join(text for _, text in page_texts(at))


def assert_page_is_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    assert unsafe_texts(at) == []


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def hostile_upstreams(
    monkeypatch: pytest.MonkeyPatch, plaid_double: PlaidDouble, experian: responses.RequestsMock
) -> PlaidDouble:
    """Plaid serving two hostile Items and one whose every call fails with a hostile error;
    Experian answering with a hostile report."""
    bank, cards = hostile.hostile_plaid_items(TODAY)
    for item in (bank, cards):
        plaid_double.add_item(item.access_token, item)
    plaid_double.inject("/item/get", hostile.broken_item_fault(), access_token=hostile.BROKEN_TOKEN)
    plaid_double.inject(
        "/liabilities/get", hostile.no_liabilities_fault(), access_token=cards.access_token
    )
    tokens = (*hostile.HOSTILE_TOKENS, hostile.BROKEN_TOKEN)
    for name, value in {
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "PLAID_ACCESS_TOKEN": ",".join(tokens),
        "UPSTREAM_BUDGET_SECONDS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    answer_with_report(experian, json=hostile.hostile_experian_report(TODAY))
    return plaid_double


# --- The checker itself ---------------------------------------------------------------------


@pytest.mark.parametrize("text", hostile.MARKUP)
def test_the_checker_sees_raw_hostile_markup(text: str) -> None:
    assert markup_in(text), text


@pytest.mark.parametrize(
    "text", [hostile.BARE_URL, hostile.WWW_NAME, hostile.EMAIL, hostile.ICON_DIRECTIVE]
)
def test_the_checker_knows_escaping_does_not_stop_bare_links_or_icons(text: str) -> None:
    escaped = "".join(f"\\{c}" if c in string.punctuation else c for c in text)
    assert markup_in(escaped), escaped


@pytest.mark.parametrize("text", hostile.HOSTILE)
def test_plain_leaves_nothing_a_renderer_could_act_on(text: str) -> None:
    shown = plain(text)
    assert markup_in(shown) == []
    assert not UNSHOWABLE & set(shown)
    assert not {"\n", "\r"} & set(shown)


def test_plain_drops_control_characters_and_keeps_the_words() -> None:
    assert plain(hostile.CONTROL_CHARACTERS) == r"badname\[31m red second line"
    assert plain(hostile.RIGHT_TO_LEFT) == r"evil\.exe"


def test_an_odd_currency_code_is_escaped_in_amounts() -> None:
    assert markdown_money(12.5, "USD") == "$12.50"
    assert markdown_money(12.5, "CHF") == "12.50 CHF"
    assert markup_in(markdown_money(12.5, hostile.HOSTILE_CURRENCY)) == []


# --- Every page ----------------------------------------------------------------------------


def test_the_overview_names_hostile_merchants_creditors_and_banks_escaped(
    hostile_upstreams: PlaidDouble,
) -> None:
    at = seeded("pages/overview.py")
    assert_page_is_fine(at)
    shown = all_markdown(at)
    # Alerts name merchants (unusual charges), cards, creditors (late payments) and
    # inquirers (a recent hard inquiry); the failing item's card shows its code.
    for fragment in (
        hostile.MARKDOWN_LINK,
        hostile.HTML_IMAGE,
        hostile.SCRIPT,
        hostile.COLOUR_DIRECTIVE,
    ):
        assert plain(fragment) in shown, fragment
    alerts = " ".join(a.value for a in (*at.error, *at.warning, *at.info))
    assert "LENDER" in alerts
    assert "INQUIRER" in alerts
    problems = [w.value for w in at.warning if "needs attention" in w.value]
    assert len(problems) == 1, problems
    assert plain(hostile.HOSTILE_ERROR_CODE) in all_markdown(at)
    assert "alert(1)</script>" not in " ".join(problems)  # the display_message is not kept


def test_the_cards_page_shows_a_hostile_currency_escaped_in_labels_and_values(
    hostile_upstreams: PlaidDouble,
) -> None:
    at = seeded("pages/cards.py")
    assert_page_is_fine(at)
    code = plain(hostile.HOSTILE_CURRENCY)
    labels = [m.label for m in at.metric]
    assert f"Owed ({code})" in labels
    assert any(m.label == f"Pay in total ({code})" for m in at.metric), labels
    assert any(code in m.value for m in at.metric)
    notes = [c.value for c in at.caption if "does not share card details" in c.value]
    assert [plain(hostile.INSTITUTIONS[1]) in note for note in notes] == [True], notes


def test_transactions_tabs_and_a_hostile_filter_choice_stay_text(
    hostile_upstreams: PlaidDouble,
) -> None:
    at = seeded("pages/transactions.py")
    assert_page_is_fine(at)
    assert [t.label for t in at.tabs] == [
        "Transactions", "Charts", "Recurring payments", "Income", "Unusual activity"
    ]  # fmt: skip
    for tab in ("Charts", "Recurring payments", "Income", "Unusual activity", "Transactions"):
        at.session_state["tx_tab"] = tab  # only the open tab is drawn
        at.run()
        assert_page_is_fine(at)
        if tab == "Recurring payments":
            assert "went up" in " ".join(w.value for w in at.tabs[2].warning)
    institutions = at.multiselect(key="tx_institutions")
    assert set(hostile.INSTITUTIONS) <= set(institutions.options)
    # Choosing a hostile bank filters by it and puts an opaque id, not its name, in the URL.
    institutions.set_value([hostile.INSTITUTIONS[1]]).run()
    assert_page_is_fine(at)
    assert set(at.dataframe[0].value["institution"]) == {hostile.INSTITUTIONS[1]}
    assert at.query_params["institution"].isalnum()
    # That bank's card is in the hostile currency: listed apart, its code escaped.
    foreign = [c.value for c in at.caption if "not converted" in c.value]
    assert [plain(hostile.HOSTILE_CURRENCY) in caption for caption in foreign] == [True], foreign


def test_the_credit_report_lists_hostile_bureau_text_escaped_or_verbatim(
    hostile_upstreams: PlaidDouble,
) -> None:
    at = seeded("pages/credit_report.py")
    assert_page_is_fine(at)
    shown = all_markdown(at)
    assert plain("unknown (code " + hostile.MARKDOWN_LINK + ")") in shown  # a score factor
    assert plain(f"{hostile.HTML_IMAGE}{hostile.COLOUR_DIRECTIVE}") in shown  # second model
    # Bureau messages and the employer are st.text: shown as they are, never as Markdown.
    verbatim = [t.value for t in at.text]
    assert hostile.SCRIPT in verbatim
    assert hostile.LONG in verbatim
    assert any(hostile.AUTOLINK in t for t in verbatim)
    for status in ("Closed", "Open", "All"):
        at.radio(key="tl_status").set_value(status).run()
        assert_page_is_fine(at)


def test_relinking_a_hostile_bank_names_it_as_text(hostile_upstreams: PlaidDouble) -> None:
    at = seeded()
    hostile_upstreams.inject(
        "/accounts/get",
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED", times=99),
        access_token=hostile.HOSTILE_TOKENS[0],
    )
    at.sidebar.button(key="refresh_data").click().run()  # Refresh: the bank now needs a new sign-in
    assert_page_is_fine(at)
    name = plain(hostile.INSTITUTIONS[0])
    sign_in = next(b for b in at.button if b.label.startswith("Sign in to"))
    assert sign_in.label == f"Sign in to {name} again"
    sign_in.click().run()
    assert_page_is_fine(at)
    assert [t.value for t in at.title] == ["Setup"]
    assert any(m.value == f"**Sign in to {name} again**" for m in at.markdown)


def test_setup_lists_hostile_bank_names_verbatim(hostile_upstreams: PlaidDouble) -> None:
    at = seeded("pages/setup.py")
    assert_page_is_fine(at)
    assert [t.value for t in at.title] == ["Setup"]
    listed = [t.value for t in at.text]
    assert set(hostile.INSTITUTIONS) <= set(listed), listed
