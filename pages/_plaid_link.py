"""Plaid Link in the browser, with its result handed back to Python.

Built on Streamlit's custom components v2 (`st.components.v2.component`). A v2 component's
HTML and JavaScript run in the app's own page (inside a shadow root for styles), not in a
sandboxed iframe the way a v1 component does, so the full-screen overlay that Plaid's
`link-initialize.js` adds to `document.body` covers the app as it should. Nothing is bundled:
the JavaScript below is inline and loads Plaid's script from Plaid's CDN at run time.

Delivering each result once
---------------------------
The browser reports every Link outcome with `setTriggerValue("event", payload)`, not with a
state value. A trigger value belongs to the one script run it causes: Streamlit resets it
before the next run (also when that run was interrupted by a newer rerun request), so a
rerun caused by any other widget reads `None`. A state value would instead be read again in
every later run and the same public token would be exchanged twice.

As a second guard, each payload carries an `event_id` (16 random bytes drawn in the browser
for that one event), and `plaid_link` records the ids it has returned in `st.session_state`
(per component key) before it returns. A payload whose id was already returned gives `None`.
Streamlit's rerun machinery does carry active triggers across coalesced and replayed reruns
(`ScriptRequests` coalescing, `replay_trigger_states` in 1.67); 1.67 takes care not to show one
to the script body twice, and the id makes sure that stays true for us whatever a later
version does. The result: one `LinkSuccess` per successful Link session, one `LinkExit` per
exit.

What never happens
------------------
- Nothing here logs, in Python or in the browser console; the link token travels only as the
  component's data and the public token only as the trigger payload. The one exception to
  "only in memory": for an OAuth bank (below) the link token waits in the browser's
  localStorage, never in a URL.
- The JavaScript never writes a string into HTML: every upstream value (institution name,
  Plaid's display_message) reaches the DOM through `textContent`.

Back from an OAuth bank
-----------------------
An OAuth bank takes the person to its own site, which sends them back to the redirect URI
with `?oauth_state_id=...`. That is a new page load, hence a new Streamlit session that has
lost the link token; Plaid needs that same token and the full return URL to finish. So
`plaid_link(..., remember_for_oauth=True)` puts the token in localStorage just before Link
opens, and `resume_oauth_link` on the return page reads it back and reopens Link with
`receivedRedirectUri` set to the page's URL. The entry goes when Link ends (success or
exit); one left by an abandoned attempt is refused after 30 minutes and dropped the next
time the component is drawn.

Do not place the component inside `st.form`: Streamlit ignores trigger values there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = [
    "LINK_LOAD_FAILED",
    "OAUTH_RETURN_LOST",
    "OAUTH_STORAGE_KEY",
    "PLAID_LINK_SCRIPT",
    "LinkExit",
    "LinkSuccess",
    "plaid_link",
    "resume_oauth_link",
]

PLAID_LINK_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
LINK_LOAD_FAILED = "LINK_LOAD_FAILED"
LOAD_FAILED_MESSAGE = (
    "Could not load Plaid Link. Check the network connection and that nothing (an ad or "
    "script blocker, a firewall) blocks cdn.plaid.com, then try again."
)
OAUTH_RETURN_LOST = "OAUTH_RETURN_LOST"
OAUTH_MAX_AGE_SECONDS = 30 * 60
OAUTH_RETURN_LOST_MESSAGE = (
    "Your bank sent you back, but this browser no longer holds the Plaid Link session "
    "started before you left (it is kept for 30 minutes, in the browser where you started). "
    "Please connect the bank again."
)
# localStorage entry holding the link token while the person is at an OAuth bank.
OAUTH_STORAGE_KEY = "credit_monitor.plaid_link.oauth_return"

_ACCOUNT_FIELDS = ("id", "name", "mask", "type", "subtype")
_SEEN_EVENTS_KEEP = 32


@dataclass(frozen=True)
class LinkSuccess:
    """Link finished: exchange `public_token` at once (single use, valid 30 minutes)."""

    public_token: str
    institution_id: str | None
    institution_name: str | None
    accounts: tuple[dict, ...]  # [{id, name, mask, type, subtype}] as metadata gives them
    link_session_id: str | None


@dataclass(frozen=True)
class LinkExit:
    """Link closed without success: by the user, on a Plaid error, or it never loaded.

    `error_code` is None when the user simply closed Link. `display_message` is Plaid's text
    meant for the user: show it as plain text, never as markdown or HTML.
    """

    error_code: str | None
    error_type: str | None
    display_message: str | None
    link_session_id: str | None


# The component's browser side lives in real files beside this module (where an editor and a
# linter see it), read once at import: the strings are our own constants, never upstream data.
_ASSETS = Path(__file__).with_name("plaid_link")
_HTML = (_ASSETS / "link.html").read_text(encoding="utf-8")
_CSS = (_ASSETS / "link.css").read_text(encoding="utf-8")
_JS_TEMPLATE = (_ASSETS / "link.js").read_text(encoding="utf-8")


def _filled(template: str, values: Mapping[str, object]) -> str:
    """Our own constants into the script, each as a JSON literal."""
    for name, value in values.items():
        template = template.replace(name, json.dumps(value))
    return template


_JS = _filled(
    _JS_TEMPLATE,
    {
        "__PLAID_SRC__": PLAID_LINK_SCRIPT,
        "__LOAD_FAILED_TEXT__": LOAD_FAILED_MESSAGE,
        "__RETURN_LOST_TEXT__": OAUTH_RETURN_LOST_MESSAGE,
        "__OAUTH_KEY__": OAUTH_STORAGE_KEY,
        "__OAUTH_MAX_AGE_MS__": OAUTH_MAX_AGE_SECONDS * 1000,
    },
)

_component = st.components.v2.component("credit_monitor_plaid_link", html=_HTML, css=_CSS, js=_JS)


def _ignore() -> None:
    """Trigger values are only reported for events that have an `on_<event>_change` callback."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _account(value: Mapping[str, Any]) -> dict:
    return {name: _text(value.get(name)) for name in _ACCOUNT_FIELDS}


def _parse(payload: Mapping[str, Any]) -> LinkSuccess | LinkExit | None:
    kind = payload.get("type")
    metadata = _mapping(payload.get("metadata"))
    if kind == "success":
        public_token = _text(payload.get("public_token"))
        if not public_token:
            return None
        institution = _mapping(metadata.get("institution"))
        accounts = metadata.get("accounts")
        return LinkSuccess(
            public_token=public_token,
            institution_id=_text(institution.get("institution_id")),
            institution_name=_text(institution.get("name")),
            accounts=tuple(
                _account(item)
                for item in (accounts if isinstance(accounts, list) else [])
                if isinstance(item, Mapping)
            ),
            link_session_id=_text(metadata.get("link_session_id")),
        )
    if kind == "exit":
        error = _mapping(payload.get("error"))
        return LinkExit(
            error_code=_text(error.get("error_code")),
            error_type=_text(error.get("error_type")),
            display_message=_text(error.get("display_message")),
            link_session_id=_text(metadata.get("link_session_id")),
        )
    if kind == "load_error":
        return LinkExit(
            error_code=LINK_LOAD_FAILED,
            error_type=None,
            display_message=LOAD_FAILED_MESSAGE,
            link_session_id=None,
        )
    if kind == "oauth_return_lost":
        return LinkExit(
            error_code=OAUTH_RETURN_LOST,
            error_type=None,
            display_message=OAUTH_RETURN_LOST_MESSAGE,
            link_session_id=None,
        )
    return None


def plaid_link(
    link_token: str,
    *,
    key: str,
    button_label: str = "Connect a bank",
    remember_for_oauth: bool = False,
) -> LinkSuccess | LinkExit | None:
    """Show a button that opens Plaid Link; return its outcome in the run it causes.

    Returns `LinkSuccess` once per successful Link session, `LinkExit` once per exit (the
    user closed Link, Plaid reported an error, or the Link script could not load: then
    `error_code == LINK_LOAD_FAILED` and `display_message` is ready for `st.error`), and
    `None` in every other run. See the module docstring for why a result is never returned
    twice.

    `remember_for_oauth`: keep the link token in the browser while Link is open, so that
    `resume_oauth_link` can finish the session when an OAuth bank sends the person back.
    """
    if not isinstance(link_token, str) or not link_token:
        raise ValueError("plaid_link needs a non-empty link_token")
    data = {"token": link_token, "label": button_label, "remember_for_oauth": remember_for_oauth}
    return _delivered(key, data)


def resume_oauth_link(
    *, key: str, button_label: str = "Finish connecting"
) -> LinkSuccess | LinkExit | None:
    """On the page an OAuth bank sent the person back to (`?oauth_state_id=` in its URL):
    reopen Link at once with the link token this browser kept (`remember_for_oauth`) and the
    page's full URL as `receivedRedirectUri`. Results as for `plaid_link`; when the browser
    holds no token to finish with, one `LinkExit` with `error_code == OAUTH_RETURN_LOST`.
    """
    return _delivered(key, {"resume": True, "label": button_label})


def _delivered(key: str, data: Mapping[str, Any]) -> LinkSuccess | LinkExit | None:
    """Draw the component; its event in the run it caused, once per event id."""
    result = _component(key=key, data=dict(data), on_event_change=_ignore)
    payload = result.get("event")
    if not isinstance(payload, Mapping):
        return None
    event_id = _text(payload.get("event_id"))
    if not event_id:
        return None
    seen_key = f"_plaid_link_seen_events:{key}"
    seen: tuple[str, ...] = st.session_state.get(seen_key, ())
    if event_id in seen:
        return None
    st.session_state[seen_key] = (*seen, event_id)[-_SEEN_EVENTS_KEEP:]
    return _parse(payload)
