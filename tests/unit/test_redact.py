"""features.redact: keyed id hashes, user info nulled, personal data scrubbed span by span.

The corpus below is the documented contract of the scrubbing patterns: each Dutch or
English sentence with what it must become. The second half must come out unchanged
(article ids, dates, times, prices, dialog options, short numbers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, cast

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalcx_frames.features import redact
from digitalcx_frames.features._redact import ID_COLUMNS
from digitalcx_frames.simulator import Simulator
from tests.conftest import read_sim

SALT = "a team secret, never printed"

SCRUBBED: tuple[tuple[str, str], ...] = (
    # e-mail addresses
    ("Mijn e-mail is jan.de.vries@example.nl, graag reactie", "Mijn e-mail is [email], graag reactie"),
    ("mail me at J.Smith+orders@mail.example.co.uk please", "mail me at [email] please"),
    # phone numbers, Dutch and international
    ("Bel me op 06-12345678 na vijven", "Bel me op [phone] na vijven"),
    ("mijn nummer: 06 1234 5678", "mijn nummer: [phone]"),
    ("0612345678", "[phone]"),
    ("Kantoor 020-1234567 of 010 123 45 67", "Kantoor [phone] of [phone]"),
    ("bereikbaar via +31 6 12345678.", "bereikbaar via [phone]."),
    ("of +31 (0)20 123 4567", "of [phone]"),
    ("of 0031 6 1234 5678", "of [phone]"),
    ("Call me on +44 20 7946 0958 tomorrow", "Call me on [phone] tomorrow"),
    ("my number is (555) 123-4567", "my number is [phone]"),
    ("from abroad: +1 (555) 123-4567", "from abroad: [phone]"),
    ("bel 06 12 34 56 78 aub", "bel [phone] aub"),
    ("or 555-123-4567 after 5", "or [phone] after 5"),
    # IBANs
    ("Mijn IBAN is NL91ABNA0417164300.", "Mijn IBAN is [iban]."),
    ("rekening NL91 ABNA 0417 1643 00 klopt niet", "rekening [iban] klopt niet"),
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [iban] please"),
    ("iban nl91abna0417164300 graag", "iban [iban] graag"),
    # long digit runs: order, customer and account numbers; card-like groups
    ("Waar blijft bestelling 123456789?", "Waar blijft bestelling [number]?"),
    ("order #98765432 has not arrived", "order #[number] has not arrived"),
    ("klantnummer: 4455667", "klantnummer: [number]"),
    ("mijn BSN is 123456782", "mijn BSN is [number]"),
    ("card 4111 1111 1111 1111 was charged twice", "card [number] was charged twice"),
    # URLs keep their page, lose the query string and fragment
    ("zie https://www.example.nl/track?order=123&mail=a@b.nl#top", "zie https://www.example.nl/track"),
    # several in one sentence: only the spans change
    (
        "Ik ben Jan (jan@example.nl, 06-87654321), order 55512345 van 25-03-2026",
        "Ik ben Jan ([email], [phone]), order [number] van 25-03-2026",
    ),
)

KEPT: tuple[str, ...] = (
    "Artikel qa-42 en dn-7-3 hielpen niet",
    "see article qa-1234567 and e-123456",
    "Ik kies 12:34",
    "Levering op 2026-03-25 of 25-03-2026 of 25/03/2026 of 25.03.2026",
    "delivered on March 25, 2026 at 09:30",
    "Ma-vr: 08:00-20:00, za: 10:00-16:00",
    "Deze week 10% korting op toestellen vanaf € 199,95",
    "An extra bundle costs €5.00 a month",
    "Postcode 1234 AB, huisnummer 12",
    "we open at 9 am, reply within 2 days",
    "version 1.2.3 of the app, 2024-12-15 release",
    "bezorgd op 25.03.2026 om 14:05, ophalen op 1-4-2026",
    "Total € 1.234,56 incl. 21% btw",
    "Hoe reset ik mijn wachtwoord?",
)


def _frame(**columns: list[Any]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema_overrides=dict.fromkeys(columns, pl.String))


def _kinds() -> dict[str, tuple[Callable[[pl.DataFrame], Any], Callable[[Any], pl.DataFrame]]]:
    return {
        "polars": (lambda f: f, lambda out: out),
        "lazy": (lambda f: f.lazy(), lambda out: out.collect()),
        "pandas": (lambda f: f.to_pandas(), pl.from_pandas),
    }


KINDS = tuple(_kinds())


def _roundtrip(kind: str, frame: pl.DataFrame, **options: Any) -> pl.DataFrame:
    make, back = _kinds()[kind]
    out = redact(make(frame), salt=options.pop("salt", SALT), **options)
    expected = {"polars": pl.DataFrame, "lazy": pl.LazyFrame, "pandas": pd.DataFrame}[kind]
    assert isinstance(out, expected)
    result: pl.DataFrame = back(out)
    return result


def _expected_hash(value: str, salt: bytes) -> str:
    digest = hashlib.blake2b(value.encode(), key=salt, digest_size=16).hexdigest()
    return digest.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


@pytest.mark.parametrize("kind", KINDS)
def test_corpus_is_scrubbed_span_by_span(kind: str) -> None:
    texts = [text for text, _ in SCRUBBED]
    frame = _frame(interaction_value=texts, output_text=list(reversed(texts)))
    out = _roundtrip(kind, frame)
    assert out["interaction_value"].to_list() == [want for _, want in SCRUBBED]
    assert out["output_text"].to_list() == list(reversed([want for _, want in SCRUBBED]))


@pytest.mark.parametrize("kind", KINDS)
def test_corpus_that_must_not_be_scrubbed_is_left(kind: str) -> None:
    frame = _frame(interaction_value=[*KEPT, None], output_text=[None, *KEPT])
    out = _roundtrip(kind, frame)
    assert out["interaction_value"].to_list() == [*KEPT, None]
    assert out["output_text"].to_list() == [None, *KEPT]


@pytest.mark.parametrize("kind", KINDS)
def test_ids_are_keyed_hashes_that_still_group(kind: str) -> None:
    frame = _frame(
        session_uuid=["s1", "s1", "s2", "s2"],
        interaction_uuid=["i1", "i1", "i2", "i3"],
        originating_interaction_uuid=[None, None, "i1", None],
        feedback_info=[None, None, '{"score": -1, "originatingInteractionId": "i1", "comment": "bel 0612345678"}', ""],
        output_metadata=[
            '[{"key":"conversation_id","value":"conv-77"},{"key":"source","value":"QA"}]',
            None,
            '{"Conversation_Id": "conv-77"}',
            '[{"key":"escalationGroup","value":"sales"}]',
        ],
    )
    out = _roundtrip(kind, frame)
    key = SALT.encode()
    assert out["session_uuid"].to_list() == [_expected_hash(s, key) for s in ("s1", "s1", "s2", "s2")]
    assert out["interaction_uuid"].to_list() == [_expected_hash(i, key) for i in ("i1", "i1", "i2", "i3")]
    assert out["originating_interaction_uuid"].to_list() == [None, None, _expected_hash("i1", key), None]
    feedback = json.loads(out["feedback_info"][2])
    assert feedback == {"score": -1, "originatingInteractionId": _expected_hash("i1", key), "comment": "bel [phone]"}
    assert out["feedback_info"][3] in ("", None)
    conversation = _expected_hash("conv-77", key)
    assert json.loads(out["output_metadata"][0])[0] == {"key": "conversation_id", "value": conversation}
    assert json.loads(out["output_metadata"][0])[1] == {"key": "source", "value": "QA"}
    assert json.loads(out["output_metadata"][2]) == {"Conversation_Id": conversation}
    assert out["output_metadata"][3] == '[{"key":"escalationGroup","value":"sales"}]'


@pytest.mark.parametrize("kind", KINDS)
def test_decoded_json_columns_are_redacted_and_keep_their_dtype(kind: str) -> None:
    from digitalcx_frames.schema import json_dtypes

    text = _frame(
        interaction_uuid=["i1", "i2"],
        feedback_info=[None, '{"score": 1, "originating_interaction_id": "i1", "comment": "mail a@b.nl"}'],
        output_metadata=['[{"key":"conversation_id","value":"c9"},{"key":"source","value":"06-12345678"}]', None],
        contexts=['[{"name":"email","value":"jan@example.nl"}]', None],
    )
    dtypes = json_dtypes()
    decoded = text.with_columns(
        pl.col(name).str.json_decode(dtypes[name]) for name in ("feedback_info", "output_metadata", "contexts")
    )
    out = _roundtrip(kind, decoded)
    if kind != "pandas":  # pandas holds nested values as it was given them; the values are checked below
        assert out.schema == decoded.schema
    key = SALT.encode()
    assert out["feedback_info"][1] == {
        "score": 1,
        "originating_interaction_id": _expected_hash("i1", key),
        "comment": "mail [email]",
    }
    assert out["output_metadata"][0].to_list() == [
        {"key": "conversation_id", "value": _expected_hash("c9", key)},
        {"key": "source", "value": "[phone]"},
    ]
    assert out["contexts"][0].to_list() == [{"name": "email", "value": "[email]"}]
    assert out["feedback_info"][0] is None


@pytest.mark.parametrize("kind", KINDS)
def test_the_raw_text_kept_beside_a_decoded_column_is_redacted_too(kind: str) -> None:
    text = '{"score": -1, "originatingInteractionId": "i1", "comment": "bel 06-12345678"}'
    frame = _frame(
        interaction_uuid=["i1"],
        feedback_info_raw=[text],
        interaction_value_raw=["mail a@b.nl"],
        variables_raw=['{"customerId": "77"}'],
    )
    out = _roundtrip(kind, frame)
    assert json.loads(out["feedback_info_raw"][0]) == {
        "score": -1,
        "originatingInteractionId": _expected_hash("i1", SALT.encode()),
        "comment": "bel [phone]",
    }
    assert out["interaction_value_raw"].to_list() == ["mail [email]"]
    assert out["variables_raw"].to_list() == [None]


def test_the_hash_depends_on_the_salt_and_a_long_salt_is_hashed_down() -> None:
    frame = _frame(session_uuid=["s1"])
    one = redact(frame, salt="one")["session_uuid"].item()
    assert redact(frame, salt=b"one")["session_uuid"].item() == one
    assert redact(frame, salt="two")["session_uuid"].item() != one
    long_salt = b"x" * 64 + b"tail"
    hashed = redact(frame, salt=long_salt)["session_uuid"].item()
    assert hashed == _expected_hash("s1", hashlib.blake2b(long_salt).digest())
    assert hashed != redact(frame, salt=b"x" * 64 + b"other")["session_uuid"].item()


def test_an_empty_or_odd_salt_is_refused() -> None:
    frame = _frame(session_uuid=["s1"])
    with pytest.raises(ValueError, match="non-empty salt"):
        redact(frame, salt="")
    with pytest.raises(TypeError, match="str or bytes"):
        redact(frame, salt=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not dict"):
        redact(cast(Any, {"session_uuid": ["s1"]}), salt=SALT)


@pytest.mark.parametrize("kind", KINDS)
def test_user_info_is_nulled_and_every_option_can_be_turned_off(kind: str) -> None:
    frame = _frame(
        session_uuid=["s1"],
        interaction_value=["mail a@b.nl"],
        additional_session_info=['{"name": "Jan de Vries"}'],
        variables=['{"customerId": "123456"}'],
    )
    out = _roundtrip(kind, frame)
    assert out["additional_session_info"].to_list() == [None]
    assert out["variables"].to_list() == [None]
    kept = _roundtrip(kind, frame, drop_user_info=False, hash_ids=False, scrub_text=False)
    assert kept.to_dicts() == frame.to_dicts()


@pytest.mark.parametrize("kind", KINDS)
def test_absent_columns_are_skipped_and_others_pass_through_in_order(kind: str) -> None:
    frame = pl.DataFrame({"log_id": [7, 8], "note": ["06-12345678", None], "session_uuid": ["s1", "s2"]})
    out = _roundtrip(kind, frame)
    assert out.columns == ["log_id", "note", "session_uuid"]
    assert out["log_id"].to_list() == [7, 8]
    assert out["note"].to_list() == ["06-12345678", None]


def test_redact_on_a_lazy_read_fetches_nothing_until_collect(sim: Simulator) -> None:
    lazy = read_sim(sim, include_user_info=True)
    before = len(sim.interaction_requests)
    redacted = redact(lazy, salt=SALT)
    assert isinstance(redacted, pl.LazyFrame)
    assert len(sim.interaction_requests) == before
    original = lazy.collect()
    out = redacted.collect()
    assert len(sim.interaction_requests) > before
    assert original["additional_session_info"].null_count() < original.height
    assert out.columns == original.columns
    assert out.height == original.height
    assert out["session_uuid"].n_unique() == original["session_uuid"].n_unique()
    assert out["interaction_uuid"].n_unique() == original["interaction_uuid"].n_unique()
    assert out["additional_session_info"].null_count() == out.height
    assert not set(out["session_uuid"]) & set(original["session_uuid"])
    for name in ("output_metadata", "feedback_info", "linkclick_info", "recognition_details", "contexts", "pages"):
        for text in out[name].drop_nulls():
            json.loads(text)  # still valid JSON after hashing and scrubbing
    key = "originatingInteractionId"
    rated = pl.col("feedback_info").str.json_path_match(f"$.{key}")
    linked_before = original.filter(rated.is_in(original["interaction_uuid"].implode())).height
    linked_after = out.filter(rated.is_in(out["interaction_uuid"].implode())).height
    assert linked_before > 0
    assert linked_after == linked_before  # a feedback still points at the answer it rates


def test_salt_never_appears_in_the_output_or_its_repr() -> None:
    frame = _frame(session_uuid=["s1"], interaction_value=["hello"])
    out = redact(frame, salt=SALT)
    assert SALT not in repr(out)
    assert SALT not in out.write_csv()


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=60, unique=True),
    salt=st.binary(min_size=1, max_size=100),
)
def test_hashing_is_stable_and_collision_free_on_generated_ids(ids: list[str], salt: bytes) -> None:
    frame = pl.DataFrame(dict.fromkeys(ID_COLUMNS, ids), schema=dict.fromkeys(ID_COLUMNS, pl.String))
    out = redact(frame, salt=salt)
    hashed = out["session_uuid"].to_list()
    assert len(set(hashed)) == len(ids)
    assert all(len(h) == 32 and h.isalpha() and h.islower() for h in hashed)
    for name in ID_COLUMNS:
        assert out[name].to_list() == hashed
    again = redact(frame.reverse(), salt=salt)["session_uuid"].to_list()
    assert again == list(reversed(hashed))
    half = redact(frame.head(len(ids) // 2), salt=salt)["session_uuid"].to_list()
    assert half == hashed[: len(ids) // 2]


@pytest.mark.parametrize("kind", KINDS)
def test_null_empty_and_zero_row_ids_stay_as_they_are(kind: str) -> None:
    out = _roundtrip(kind, _frame(session_uuid=[None, "", "s1"], interaction_uuid=[None, None, None]))
    assert out["session_uuid"].to_list()[:2] in ([None, ""], [None, None])
    assert out["interaction_uuid"].to_list() == [None, None, None]
    empty = _roundtrip(kind, _frame(session_uuid=[], interaction_value=[]))
    assert empty.height == 0
    assert empty.columns == ["session_uuid", "interaction_value"]


def test_a_narwhals_frame_comes_back_as_a_narwhals_frame() -> None:
    nw = pytest.importorskip("narwhals")
    frame = _frame(session_uuid=["s1"], interaction_value=["mail a@b.nl"])
    out = redact(nw.from_native(frame), salt=SALT)
    assert type(out).__module__.startswith("narwhals")
    native = out.to_native()
    assert native["interaction_value"].to_list() == ["mail [email]"]
    assert native["session_uuid"].to_list() == [_expected_hash("s1", SALT.encode())]


def test_a_read_with_decoded_json_and_raw_text_is_redacted_everywhere(sim: Simulator) -> None:
    original = read_sim(sim, decode_json="keep").collect()
    raw = [name for name in original.columns if name.endswith("_raw")]
    assert "feedback_info_raw" in raw
    out = redact(original, salt=SALT)
    assert out.schema == original.schema
    rated = out.filter(pl.col("feedback_info_raw").str.contains("riginatingInteractionId"))
    assert rated.height > 0
    hashed_ids = set(out["interaction_uuid"])
    in_raw = rated["feedback_info_raw"].str.extract(r'(?i)"originatingInteractionId"\s*:\s*"([^"]*)"')
    in_struct = rated["feedback_info"].struct.field("originating_interaction_id")
    assert set(in_raw.drop_nulls()) <= set(in_struct.drop_nulls()) | hashed_ids
    assert not set(in_raw.drop_nulls()) & set(original["interaction_uuid"])
