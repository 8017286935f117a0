"""A person's API tokens in the history store, on SQLite and PostgreSQL: only a hash is kept,
each person sees and revokes only their own, a revoked token names no one, the last use is
written at most once a minute, and retention keeps what is live."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from services.storage.store import MAX_LIVE_TOKENS, HistoryStore
from tests.support.database_rows import all_rows
from tests.support.history_data import CARD, CHECKING, FIRST_SYNC, INSTITUTION, ITEM, account_day

ANN_TOKEN = "cmk_ann-canary-0123456789abcdefghijklmnopqrstuv"
BOB_TOKEN = "cmk_bob-canary-0123456789abcdefghijklmnopqrstuv"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def person_with_token(store: HistoryStore, identity: str, token: str) -> tuple[str, int]:
    person = store.person_key(identity)
    token_id = store.add_api_token(person, "home script", digest(token))
    assert token_id is not None
    return person, token_id


def test_only_the_hash_of_a_token_is_kept_and_it_names_its_person(
    history_store: HistoryStore, history_url: str
) -> None:
    ann, token_id = person_with_token(history_store, "ann", ANN_TOKEN)
    holder = history_store.token_holder(digest(ANN_TOKEN))
    assert holder is not None
    assert (holder.person, holder.token_id, holder.last_used_at) == (ann, token_id, None)
    cells = [str(v) for rows in all_rows(history_url).values() for r in rows for v in r.values()]
    assert not [cell for cell in cells if "canary" in cell]
    (listed,) = history_store.api_tokens(ann)
    assert (listed.token_id, listed.name) == (token_id, "home script")
    assert [line.outcome for line in history_store.audit_lines(ann)] == ["created"]


def test_a_token_itself_is_refused_where_its_hash_belongs(history_store: HistoryStore) -> None:
    ann = history_store.person_key("ann")
    with pytest.raises(ValueError, match="SHA-256"):
        history_store.add_api_token(ann, "oops", ANN_TOKEN)
    assert history_store.token_holder(ANN_TOKEN) is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 41, "tab\x07bell"])
def test_a_token_name_is_short_printable_text(history_store: HistoryStore, name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        history_store.add_api_token(history_store.person_key("ann"), name, digest(ANN_TOKEN))


def test_a_revoked_token_names_no_one_and_only_its_person_may_revoke_it(
    history_store: HistoryStore,
) -> None:
    ann, ann_token = person_with_token(history_store, "ann", ANN_TOKEN)
    bob, _ = person_with_token(history_store, "bob", BOB_TOKEN)

    assert not history_store.revoke_api_token(bob, ann_token)  # not Bob's to revoke
    assert history_store.token_holder(digest(ANN_TOKEN)) is not None
    assert history_store.revoke_api_token(ann, ann_token)
    assert not history_store.revoke_api_token(ann, ann_token)  # once is enough

    assert history_store.token_holder(digest(ANN_TOKEN)) is None
    assert history_store.api_tokens(ann) == []
    holder = history_store.token_holder(digest(BOB_TOKEN))
    assert holder is not None
    assert holder.person == bob


def test_a_person_has_at_most_a_handful_of_live_tokens(history_store: HistoryStore) -> None:
    ann = history_store.person_key("ann")
    made = [history_store.add_api_token(ann, f"t{n}", digest(f"t{n}")) for n in range(11)]
    assert None not in made[:MAX_LIVE_TOKENS]
    assert made[MAX_LIVE_TOKENS] is None
    first = made[0]
    assert first is not None
    history_store.revoke_api_token(ann, first)
    assert history_store.add_api_token(ann, "again", digest("again")) is not None


def test_the_last_use_is_written_at_most_once_a_minute(history_store: HistoryStore) -> None:
    ann, _ = person_with_token(history_store, "ann", ANN_TOKEN)
    start = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def used_at(moment: datetime) -> datetime | None:
        holder = history_store.token_holder(digest(ANN_TOKEN))
        assert holder is not None
        history_store.token_used(holder, moment)
        (token,) = history_store.api_tokens(ann)
        return token.last_used_at

    assert used_at(start) == start
    assert used_at(start + timedelta(seconds=59)) == start
    assert used_at(start + timedelta(seconds=61)) == start + timedelta(seconds=61)


def test_delete_everything_takes_the_tokens_and_retention_keeps_live_ones(
    history_store: HistoryStore,
) -> None:
    ann, old = person_with_token(history_store, "ann", ANN_TOKEN)
    kept = history_store.add_api_token(ann, "kept", digest("kept-token"))
    history_store.revoke_api_token(ann, old)
    bob, _ = person_with_token(history_store, "bob", BOB_TOKEN)

    history_store.drop_older_than(date.today() + timedelta(days=1))  # revoked before it
    assert [t.token_id for t in history_store.api_tokens(ann)] == [kept]
    assert history_store.token_holder(digest("kept-token")) is not None

    history_store.delete_person(ann)
    assert history_store.token_holder(digest("kept-token")) is None
    assert history_store.api_tokens(ann) == []
    assert history_store.token_holder(digest(BOB_TOKEN)) is not None
    assert len(history_store.api_tokens(bob)) == 1


def test_the_latest_day_of_each_account_and_the_kept_accounts(history_store: HistoryStore) -> None:
    ann = history_store.person_key("ann")
    history_store.save_item(ann, ITEM, b"sealed", INSTITUTION.institution_id, INSTITUTION.name)
    history_store.apply_sync(ann, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    history_store.record_day(ann, [account_day(CARD, date(2026, 11, 27), 480.0),
                                   account_day(CHECKING, date(2026, 11, 27), 2100.0),
                                   account_day(CARD, date(2026, 11, 28), 512.25)])  # fmt: skip
    latest = {d.account_id: (d.day, d.balance) for d in history_store.latest_account_days(ann)}
    assert latest == {
        CARD.account_id: (date(2026, 11, 28), 512.25),
        CHECKING.account_id: (date(2026, 11, 27), 2100.0),
    }
    kept = history_store.accounts(ann)
    assert [a.account_id for a in kept] == [CARD.account_id, CHECKING.account_id]
    assert kept[0].is_credit_card
    assert kept[0].current is None
    assert history_store.latest_account_days(history_store.person_key("bob")) == []
