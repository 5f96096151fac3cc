"""Make a frame of interaction logs safe to share: keyed id hashes, no user info, scrubbed text.

What :func:`redact` changes, column by column (a column the frame lacks is skipped; every
other column, such as ``log_id``, the timestamps, the types, ``article_ids`` and
``dialog_paths``, passes through unchanged):

========================================  ===========================================================
column                                    what happens
========================================  ===========================================================
``session_uuid``, ``interaction_uuid``,   replaced by a keyed hash (``hash_ids``)
``originating_interaction_uuid``
``feedback_info``, ``linkclick_info``     the ``originatingInteractionId`` value is hashed
                                          (``hash_ids``); the rest, such as the feedback
                                          ``comment``, is scrubbed (``scrub_text``)
``output_metadata``                       the ``conversation_id`` value is hashed (``hash_ids``);
                                          the rest is scrubbed (``scrub_text``)
``interaction_value``, ``output_text``,   scrubbed (``scrub_text``)
``recognition_details`` (the entity
matches: the user's words), ``contexts``
(context values), ``pages`` (page URLs)
``additional_session_info``,              set to null (``drop_user_info``)
``variables``
========================================  ===========================================================

**Hashes.** An id becomes its BLAKE2b digest (16 bytes) keyed with the salt, written as 32
lower-case letters ``a``–``p`` (hex digits shifted to letters, so that no scrubbing pattern
can ever match a hash). The same id gives the same hash under the same salt, in every column
and inside the JSON text, so sessions still group and a feedback row still points at the
answer it rates; without the salt the ids cannot be recovered or recomputed. A salt longer
than BLAKE2b's 64-byte key is hashed down to 64 bytes first. Only the *distinct* ids are
hashed (in Python, ``hashlib``), then mapped back onto the column by Polars. Inside a JSON
column, only the first occurrence of each id key in a value is hashed.

**Scrubbing** replaces only the matched span, in this order:

1. e-mail addresses → ``[email]``
2. URL query strings and fragments (``https://…/page?email=…#x`` → ``https://…/page``)
3. IBANs, with or without spaces, any case (``NL91ABNA0417164300``, ``nl91 abna …``) → ``[iban]``
4. phone numbers: international (``+31 6 12345678``, ``0031 20 123 4567``,
   ``+44 20 7946 0958``, ``+1 (555) 123-4567``), Dutch national (``06-12345678``, ``020 123 4567``) and North
   American (``(555) 123-4567``, ``555-123-4567``) → ``[phone]``
5. card-like digit groups (``4111 1111 1111 1111``) → ``[number]``
6. runs of 6 or more digits (order, customer and account numbers) → ``[number]``,
   except when glued to a letter or ``-`` (article ids such as ``qa-1234567`` stay)

Dates (``2026-03-25``, ``25-03-2026``, ``25/03/2026``), times, prices, percentages, short
numbers, article ids and dialog options (``12:34``) are left as they are.

**Not removed**: names, street addresses, postcodes, and any other personal detail that a
pattern cannot recognise; numbers of fewer than 6 digits, and digits glued to a letter or
``-`` (``ORD-12345678`` stays, like the article id ``qa-1234567``); ``log_id``, timestamps and
culture; ids inside other JSON columns (``articles``, ``faqs_found``,
``generative_ai_sources``, ``article_ids``, ``dialog_paths``), which hold the project's own
content. Read a sample of the output before you share it.

JSON columns decoded by ``read_interactions(..., decode_json=True)`` (Struct and List
dtypes) get the same treatment: they are encoded to JSON text, redacted, and decoded back
to their own dtype. The text copies that ``decode_json="keep"`` adds (``<column>_raw``) are
redacted like their column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Final

import pandas as pd
import polars as pl

from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.features import _frames
from digitalcx_frames.features._json import RAW_SUFFIX

__all__ = ["ID_COLUMNS", "SCRUBBED_COLUMNS", "SCRUB_PATTERNS", "USER_INFO_COLUMNS", "redact"]

ID_COLUMNS: Final = ("session_uuid", "interaction_uuid", "originating_interaction_uuid")
"""Columns whose whole value is an id, replaced by its keyed hash."""

USER_INFO_COLUMNS: Final = ("additional_session_info", "variables")
"""Columns that only hold user information, set to null."""

SCRUBBED_COLUMNS: Final = (
    "interaction_value",
    "output_text",
    "feedback_info",
    "linkclick_info",
    "output_metadata",
    "recognition_details",
    "contexts",
    "pages",
)
"""Text and JSON-text columns that user input can reach, scrubbed with :data:`SCRUB_PATTERNS`."""

_PHONE_SEP: Final = r"[ .\-]?"
SCRUB_PATTERNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("e-mail address", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "[email]"),
    ("URL query and fragment", r"(?i)(https?://[^\s\"'?#<>]*)[?#][^\s\"'<>]*", "${1}"),
    ("IBAN", r"(?i)\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", "[iban]"),
    (
        "international phone number",
        rf"(?:\+|\b00)[1-9][0-9]{{0,2}}{_PHONE_SEP}(?:\([0-9]{{1,4}}\){_PHONE_SEP})?[0-9](?:{_PHONE_SEP}[0-9]){{5,11}}\b",
        "[phone]",
    ),
    (
        "Dutch national phone number",
        rf"(?:\b0[1-9][0-9]{{0,2}}|\(0[1-9][0-9]{{0,2}}\)){_PHONE_SEP}[0-9](?:{_PHONE_SEP}[0-9]){{5,7}}\b",
        "[phone]",
    ),
    ("North American phone number", r"(?:\([0-9]{3}\) ?|\b[0-9]{3}[ .\-])[0-9]{3}[ .\-][0-9]{4}\b", "[phone]"),
    ("card-like digit groups", r"\b[0-9]{4}(?:[ \-][0-9]{4}){2,3}\b", "[number]"),
    ("run of 6 or more digits", r"(^|[^\w\-])[0-9]{6,}\b", "${1}[number]"),
)
"""``(what, regular expression, replacement)``, applied in this order (Rust ``regex`` syntax)."""

_ID_IN_JSON: Final[dict[str, tuple[str, ...]]] = {
    "feedback_info": (r'"originating_?interaction_?id"\s*:\s*"',),
    "linkclick_info": (r'"originating_?interaction_?id"\s*:\s*"',),
    "output_metadata": (
        r'"key"\s*:\s*"conversation_?id"\s*,\s*"value"\s*:\s*"',
        r'"conversation_?id"\s*:\s*"',
    ),
}
"""Per JSON column, the text that leads up to an id value (keys matched case-insensitively,
camelCase or snake_case, as in the wire text or in a column decoded with ``decode_json=True``)."""

_BLAKE2B_KEY_BYTES: Final = 64
_TO_LETTERS: Final = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def _key(salt: str | bytes) -> bytes:
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    elif not isinstance(salt, bytes):
        raise TypeError(f"redact() takes the salt as str or bytes, not {type(salt).__name__}")
    if not salt:
        raise ValueError("redact() needs a non-empty salt: without one, anyone can recompute the hashes")
    if len(salt) > _BLAKE2B_KEY_BYTES:
        return hashlib.blake2b(salt).digest()
    return salt


def _hasher(key: bytes) -> Callable[[pl.Series], pl.Series]:
    """A batch function: the keyed hash of each distinct id, mapped back (null and ``""`` stay)."""
    keyed = hashlib.blake2b(key=key, digest_size=16)  # the key is set up once; each id hashes a copy

    def digest(value: str) -> str:
        state = keyed.copy()
        state.update(value.encode("utf-8"))
        return state.hexdigest().translate(_TO_LETTERS)

    def hash_batch(ids: pl.Series) -> pl.Series:
        ids = ids.cast(pl.String)
        distinct = ids.drop_nulls().unique()
        hashed = pl.Series([digest(value) if value else "" for value in distinct.to_list()], dtype=pl.String)
        return ids.replace_strict(distinct, hashed, default=None, return_dtype=pl.String)

    return hash_batch


def _hash_ids(expr: pl.Expr, key: bytes) -> pl.Expr:
    return expr.cast(pl.String).map_batches(_hasher(key), return_dtype=pl.String, is_elementwise=True)


def _hash_in_json(name: str, lead: str, key: bytes) -> pl.Expr:
    """Hash the first id that follows ``lead`` in the JSON text of column ``name``."""
    parts = pl.col(name).str.extract_groups(rf'(?s)^(?P<pre>.*?(?i:{lead}))(?P<id>[^"\\]*)(?P<post>".*)$')
    found = parts.struct.field("id")
    spliced = pl.concat_str(parts.struct.field("pre"), _hash_ids(found, key), parts.struct.field("post"))
    return pl.when(found.is_not_null()).then(spliced).otherwise(pl.col(name)).alias(name)


def _encode(name: str) -> pl.Expr:
    """A decoded (Struct/List) JSON column as JSON text ``{"<name>": ...}``."""
    return pl.struct(pl.col(name)).struct.json_encode().alias(name)


def _decode(name: str, dtype: pl.DataType) -> pl.Expr:
    """The inverse of :func:`_encode`: back to the column's own dtype."""
    return pl.col(name).str.json_decode(pl.Struct({name: dtype})).struct.field(name).alias(name)


def scrub(expr: pl.Expr) -> pl.Expr:
    """``expr`` (String) with every :data:`SCRUB_PATTERNS` match replaced; the rest of the text stays.

    Examples
    --------
    >>> import polars as pl
    >>> from digitalcx_frames.features._redact import scrub
    >>> text = "Mail jan.jansen@example.nl of bel 06-12345678 over order 98765432 van 25-03-2026"
    >>> pl.select(scrub(pl.lit(text))).item()
    'Mail [email] of bel [phone] over order [number] van 25-03-2026'
    """
    for _what, pattern, replacement in SCRUB_PATTERNS:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def redact(
    frame: fx.FrameT,
    *,
    salt: str | bytes,
    drop_user_info: bool = True,
    hash_ids: bool = True,
    scrub_text: bool = True,
) -> fx.FrameT:
    """A copy of ``frame`` that is safer to share: ids hashed, user info dropped, text scrubbed.

    Works on any frame holding some of the columns of
    :func:`digitalcx_frames.read_interactions` (absent columns are skipped, other columns
    pass through) and returns the same kind: a Polars ``DataFrame``, a ``LazyFrame`` (still
    lazy: nothing is computed until you collect), a pandas ``DataFrame`` (nullable dtypes),
    or a narwhals frame of one of them.
    The work is done by Polars expressions; only the distinct ids are hashed in Python.
    The user guide's *Security and redaction* page lists what each column gets.

    Parameters
    ----------
    frame
        Interaction logs, or any frame with a subset of their columns.
    salt
        The key of the hashes (``str`` or ``bytes``, not empty). Keep it secret and keep it
        the same for every file you want to join on the hashed ids; a salt longer than 64
        bytes is hashed down to 64 bytes first. It never appears in the output.
    drop_user_info
        Set ``additional_session_info`` and ``variables`` to null.
    hash_ids
        Replace ``session_uuid``, ``interaction_uuid``, ``originating_interaction_uuid``, and
        the ids inside ``feedback_info``, ``linkclick_info`` and ``output_metadata``
        (``conversation_id``), by keyed BLAKE2b hashes: 32 lower-case letters.
    scrub_text
        Replace e-mail addresses, URL query strings, IBANs, phone numbers and long digit
        runs in ``interaction_value``, ``output_text`` and the JSON columns users can reach
        (see :data:`SCRUBBED_COLUMNS`), span by span.

    Returns
    -------
    The same kind of frame as ``frame``, with the same columns in the same order.

    Notes
    -----
    Hashes are keyed BLAKE2b digests written as 32 lower-case letters ``a``–``p``; the same id
    gives the same hash under the same salt in every column, inside the JSON text and in
    every file, so sessions still group and files still join. Scrubbing replaces only the
    matched span: e-mail addresses, URL query strings and fragments, IBANs, phone numbers,
    card-like digit groups and runs of 6 or more digits. Dates, times, prices, short numbers
    and article ids stay.

    **Not removed**: names, street addresses, postcodes and anything else a pattern cannot
    recognise; digits glued to a letter or ``-``; ``log_id``, timestamps, culture and types;
    ids inside ``articles``, ``faqs_found``, ``generative_ai_sources``, ``article_ids`` and
    ``dialog_paths``. Read a sample of the output before you share it.

    Raises
    ------
    ValueError
        If ``salt`` is empty.
    TypeError
        If ``salt`` is not ``str``/``bytes`` or ``frame`` is not a Polars, pandas or narwhals frame.

    Examples
    --------
    >>> import polars as pl
    >>> from digitalcx_frames.features import redact
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s-1", "s-1", "s-2"],
    ...         "interaction_value": ["Mijn IBAN is NL91 ABNA 0417 1643 00", "bel me: +31 6 12345678", None],
    ...         "variables": ['{"customerId": "12"}', None, None],
    ...     }
    ... )
    >>> out = redact(logs, salt="keep me secret")
    >>> out["interaction_value"].to_list()
    ['Mijn IBAN is [iban]', 'bel me: [phone]', None]
    >>> sessions = out["session_uuid"].to_list()
    >>> sessions[0] == sessions[1] != sessions[2], len(sessions[0])
    (True, 32)
    >>> out["variables"].null_count()
    3

    Lazy in, lazy out; pandas in, pandas out:

    >>> type(redact(logs.lazy(), salt="keep me secret")).__name__
    'LazyFrame'
    >>> redact(logs.to_pandas(), salt="keep me secret")["session_uuid"].tolist() == sessions
    True
    """
    key = _key(salt)
    given = _frames.native(frame, "redact")  # a narwhals frame is unwrapped, and wrapped back at the end
    if isinstance(given, pd.DataFrame):
        lazy = pl.from_pandas(given).lazy()
    elif isinstance(given, pl.DataFrame):
        lazy = given.lazy()
    else:
        lazy = given
    have = lazy.collect_schema()

    def present(names: Iterable[str]) -> list[str]:
        """The columns of ``names`` the frame has, each with its ``<name>_raw`` text copy."""
        return [c for name in names for c in (name, name + RAW_SUFFIX) if c in have]

    nested = {
        name: have[name]
        for name in present(dict.fromkeys([*SCRUBBED_COLUMNS, *_ID_IN_JSON]))
        if isinstance(have[name], pl.Struct | pl.List)
    }
    lazy = lazy.with_columns(_encode(name) for name in nested)
    if hash_ids:
        lazy = lazy.with_columns(_hash_ids(pl.col(name), key).alias(name) for name in present(ID_COLUMNS))
        for base, leads in _ID_IN_JSON.items():
            for name in present([base]):
                for lead in leads:
                    lazy = lazy.with_columns(_hash_in_json(name, lead, key))
    if drop_user_info:
        lazy = lazy.with_columns(pl.lit(None, dtype=have[name]).alias(name) for name in present(USER_INFO_COLUMNS))
    if scrub_text:
        lazy = lazy.with_columns(scrub(pl.col(name).cast(pl.String)).alias(name) for name in present(SCRUBBED_COLUMNS))
    lazy = lazy.with_columns(_decode(name, dtype) for name, dtype in nested.items())
    result: fx.FrameT = fx.restore(lazy, given) if given is frame else _frames.rewrap(fx.restore(lazy, given), frame)
    return result
