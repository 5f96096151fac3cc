"""Seeded, deterministic, realistic interaction rows for the simulator, one UTC day at a time.

Each UTC day is generated from its own random generator seeded by ``(seed, day)``, so the
rows of a day do not depend on which window or page asked for them. A day holds exactly
``rows_per_day`` rows (before any filter), sorted by ``(TimestampStart, LogId)``.

Examples
--------
>>> from datetime import date
>>> day = generate_day(date(2026, 11, 1), seed=0, rows_per_day=50, culture="nl")
>>> len(day.rows), day.rows[0][COL["LogId"]] > 2**32
(50, True)
>>> generate_day(date(2026, 11, 1), seed=0, rows_per_day=50, culture="nl").rows == day.rows
True
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from digitalcx_frames.flags import API_NAMES
from digitalcx_frames.schema import API_COLUMN_NAMES

__all__ = [
    "COL",
    "COMBOS",
    "ENVIRONMENTS",
    "SESSION_MODES",
    "Day",
    "generate_day",
    "iso_ms",
    "row_dict",
]

COL: Final = {name: i for i, name in enumerate(API_COLUMN_NAMES)}
"""Position of each API column in a row tuple."""

ENVIRONMENTS: Final = ("Production", "Staging")
SESSION_MODES: Final = ("Public", "Internal", "Test", "Monitor")
COMBOS: Final = (
    ("Production", "Public"),
    ("Production", "Internal"),
    ("Production", "Test"),
    ("Production", "Monitor"),
    ("Staging", "Test"),
)
"""Every (environment, sessionMode) a row can belong to; Staging carries sessionMode Test."""
_COMBO_WEIGHTS: Final = (82, 5, 2, 3, 8)
_HOUR_WEIGHTS: Final = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 13, 12, 11, 9, 8, 8, 7, 5, 3, 2)
_BIT: Final = {name: 1 << i for i, name in enumerate(API_NAMES)}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS: Final = 86_400_000
_SESSION_TIMEOUT_MS: Final = 15 * 60_000
_UNKNOWN_NAME: Final = "Smalltalk"
_DAY_PREFIX: dict[int, str] = {}

Row = tuple[object, ...]


@dataclass(slots=True)
class Day:
    """The rows of one UTC day, sorted by ``(TimestampStart, LogId)``, with filter keys.

    ``rows`` hold wire-ready values: ints for ``LogId``, bools for ``SessionIsActive``,
    milliseconds since the epoch for the timestamps, the wire JSON text for
    ``AllInteractionTypes``, ``float | None`` for ``RecognitionQuality`` and ``str`` elsewhere.
    The parallel lists hold what the filters need.
    """

    day: date
    rows: list[Row]
    ts: list[int]
    combo: list[int]
    main_bit: list[int]
    mask: list[int]
    active: list[bool]
    names: list[list[str]]
    cache: dict[object, object] = field(default_factory=dict)


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as the API's ``2026-03-25T09:30:22.605Z``.

    >>> iso_ms(1774431022605)
    '2026-03-25T09:30:22.605Z'
    """
    days, rest = divmod(ms, _DAY_MS)
    prefix = _DAY_PREFIX.get(days)
    if prefix is None:
        prefix = _DAY_PREFIX[days] = (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%dT")
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def row_dict(day: Day, index: int) -> dict[str, object]:
    """One row keyed by API column names with Python values (the ground truth of tests)."""
    row = day.rows[index]
    out = dict(zip(API_COLUMN_NAMES, row, strict=True))
    out["TimestampStart"] = _EPOCH + timedelta(milliseconds=int(row[COL["TimestampStart"]]))  # type: ignore[call-overload]
    out["TimestampEnd"] = _EPOCH + timedelta(milliseconds=int(row[COL["TimestampEnd"]]))  # type: ignore[call-overload]
    out["AllInteractionTypes"] = list(day.names[index])
    return out


# ---------------------------------------------------------------------------------------------
# Text pools: Dutch and English, with é, €, quotes, commas, pipes and the odd newline.

_QA_NL: Final = (
    ("Hoe kan ik mijn abonnement opzeggen?", "Je kunt je abonnement opzeggen via Mijn Account, onder 'Instellingen'."),
    ("Wat kost een extra bundel?", "Een extra bundel kost € 5,00 per maand, te betalen via iDEAL | creditcard."),
    ("Waar vind ik mijn factuur", 'Je factuur staat onder "Facturen" in de app.'),
    ("Kan ik mijn café-pas koppelen?", "Ja, koppel je café-pas in het menu Betalen, daarna is hij direct actief."),
    (
        "Ik wil een klacht indienen",
        "Vervelend om te horen. Vul het klachtenformulier in, dan reageren we binnen 2 dagen.",
    ),
    ("wanneer wordt mijn pakket bezorgd", "Bezorging gebeurt op werkdagen tussen 09:00 en 18:00, ook op zaterdag."),
    ("Wat zijn de openingstijden?", "Ma-vr: 08:00-20:00, za: 10:00-16:00 | zondag gesloten."),
    ("Hoe wijzig ik mijn adres", 'Ga naar Profiel > Adres, wijzig het en klik op "Opslaan".'),
    ("Is er een ‘actie’ deze week?", "Deze week krijg je 10% korting op alle toestellen vanaf € 199."),
    (
        "Hoe reset ik mijn wachtwoord?",
        "Klik op 'Wachtwoord vergeten', je ontvangt dan binnen enkele minuten een e-mail.",
    ),
)
_QA_EN: Final = (
    ("How do I cancel my subscription?", "You can cancel it in My Account, under 'Settings'."),
    ("What does an extra bundle cost?", "An extra bundle costs €5.00 a month, paid by card | PayPal."),
    ("Where is my invoice", 'Your invoice is under "Invoices" in the app.'),
    ("Can I pay at the café?", "Yes, you can pay with the app at any partner café, shop or kiosk."),
    ("I want to file a complaint", "Sorry to hear that. Fill in the complaint form, and we answer within 2 days."),
    ("When will my parcel arrive?", "We deliver on weekdays between 9 am and 6 pm, and on Saturdays."),
    ("What are your opening hours?", "Mon-Fri: 8 am-8 pm, Sat: 10 am-4 pm | closed on Sundays."),
    ("How do I reset my password?", "Click 'Forgot password'; you will get an e-mail within a few minutes."),
)
_EXTRA_LINES: Final = (
    "\nMeer informatie vind je op onze website.",
    "\r\nMore details: see the FAQ.",
    '\n\nTip: gebruik de knop "Chat" voor vragen.',
    "\nStap 1: log in\nStap 2: kies 'Instellingen'",
)
_FEEDBACK_COMMENTS: Final = ("", "", "Top, bedankt!", "Niet duidelijk", "Great, thanks", 'Antwoord klopt niet, "raar"')
_DIALOGS: Final = ((12, "Opzeggen"), (7, "Verhuizen"), (31, "Storing melden"), (44, "Bestelling"))
_EVENTS: Final = ("welcome", "onLoad", "proactive_offer", "")
_PAGES: Final = (
    "https://www.example.nl/klantenservice",
    "https://www.example.nl/bestellen?step=2",
    "https://www.example.com/en/support",
    "https://www.example.nl/mijn-account",
)
_RECOGNITION: Final = ("Entity Recognition", "Classification", "Exact Match", "Text Search")
_TD_STATUS: Final = ("Started", "Completed", "Aborted", "Completed")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def _jstr(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


_REST: Final[tuple[object, ...]] = tuple(None if n == "RecognitionQuality" else "" for n in API_COLUMN_NAMES[12:])
_PAGE_JSON: Final = tuple(_dumps({"originatingPage": page}) for page in _PAGES)
_CONTEXT_JSON: Final = tuple(_dumps([{"name": "channel", "value": c}]) for c in ("web", "app", "whatsapp"))
_VARIABLES_JSON: Final = tuple(_dumps({"customerId": "#CustomerId#", "loggedIn": v}) for v in ("true", "false"))
_DETAILS_JSON: Final = tuple(
    _dumps({"entities": [{"name": "product", "value": p}], "missingWords": [w]})
    for p in ("abonnement", "bundel", "factuur")
    for w in ("graag", "even", "please", "nu")
)
_KINDS: Final = ("QA", "Dialog", "TransactionalDialog", "GenerativeAI", "FaqClick", "FaqSearch")
_KIND_CUM: Final = tuple(itertools.accumulate((55, 12, 6, 10, 8, 9)))
_METADATA_JSON: Final = {kind: _dumps([{"key": "source", "value": kind}]) for kind in _KINDS}
_COMBO_CUM: Final = tuple(itertools.accumulate(_COMBO_WEIGHTS))
_COMBOS_RANGE: Final = range(len(COMBOS))
_HOURS: Final = range(24)
_HOUR_CUM: Final = tuple(itertools.accumulate(_HOUR_WEIGHTS))


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _types_text(names: list[str], rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "[" + ",".join(f'"{n}"' for n in names) + "]"
    return "[ " + ", ".join(f'"{n}"' for n in names) + "]"


_Raw = tuple[int, int, list[object], int, bool, list[str], str]
"""One generated row before sorting: (TimestampStart ms, sequence, values, combo, active, type names, main type)."""

LATE_SESSION_ROWS: Final = 250
"""One session a day starts in the last 20 minutes of the UTC day and runs past midnight per
this many ``rows_per_day`` (none below it), so that sessions cross midnight."""


class _Sessions:
    """Generates whole sessions into ``raw``, drawing from one random generator."""

    def __init__(self, rng: random.Random, culture: str, unknown_type_rate: float) -> None:
        self.rng = rng
        self.culture = culture
        self.unknown_type_rate = unknown_type_rate
        self.raw: list[_Raw] = []
        self.session_info = _dumps(
            {"userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "ip": "#IpAddress#", "language": culture}
        )
        self.english_share = 0.9 if culture.lower().startswith("en") else 0.3

    def add(
        self,
        session: str,
        active: bool,
        combo: int,
        ts: int,
        main: str,
        names: list[str],
        *,
        interaction: object = None,
        originating: object = "",
        value: object = "",
        output: object = "",
        **extra: object,
    ) -> str:
        """Append one row; returns its InteractionUuid."""
        rng = self.rng
        iuuid = str(interaction) if interaction is not None else _uuid(rng)
        end = ts + 15 + int(rng.random() * 2500)
        values: list[object] = [
            0,
            iuuid,
            originating,
            session,
            active,
            ts,
            end,
            self.culture,
            main,
            "",
            value,
            output,
            *_REST,
        ]
        for name, item in extra.items():
            values[COL[name]] = item
        if self.unknown_type_rate and rng.random() < self.unknown_type_rate:
            names = [*names, _UNKNOWN_NAME]
            if rng.random() < 0.3:
                main = _UNKNOWN_NAME
                values[COL["MainInteractionType"]] = main
        values[COL["AllInteractionTypes"]] = _types_text(names, rng)
        self.raw.append((ts, len(self.raw), values, combo, active, names, main))
        return iuuid

    def session(self, ts: int, end_ms: int, *, combo: int | None = None, active: bool | None = None) -> None:
        """One session starting at ``ts``; rows at or after ``end_ms`` are not generated."""
        rng = self.rng
        add = self.add
        if combo is None:
            combo = rng.choices(_COMBOS_RANGE, cum_weights=_COMBO_CUM)[0]
        session = _uuid(rng)
        if active is None:
            active = rng.random() < 0.72
        english = rng.random() < self.english_share
        pool = _QA_EN if english else _QA_NL
        common: dict[str, object] = {
            "Pages": rng.choice(_PAGE_JSON),
            "Contexts": rng.choice(_CONTEXT_JSON),
            "AdditionalSessionInfo": self.session_info,
            "Variables": rng.choice(_VARIABLES_JSON),
        }
        ts = min(ts, end_ms - 1)

        def step(ts: int) -> int:
            return ts + rng.randint(2_000, _SESSION_TIMEOUT_MS - 5_000)  # earlier rows may be 3 s later

        if rng.random() < 0.6:
            event = rng.choice(_EVENTS)
            names = ["Event", "DataRetrieval"] if rng.random() < 0.4 else ["Event"]
            add(session, active, combo, ts, "Event", names, value=event, output="", **common)
            ts += rng.randint(50, 3_000)
        if rng.random() < 0.7 and ts < end_ms:
            faqs = ",".join(f'{{"id":{rng.randint(1, 80)},"question":{_jstr(q)}}}' for q, _ in rng.sample(pool, 3))
            add(session, active, combo, ts, "DataRetrieval", ["DataRetrieval"], FaqsFound=f"[{faqs}]", **common)
            ts += rng.randint(50, 3_000)
        if not active:
            if rng.random() < 0.4 and ts < end_ms:
                dialog_id, title = rng.choice(_DIALOGS)
                add(
                    session,
                    active,
                    combo,
                    ts,
                    "Dialog",
                    ["Dialog"],
                    value=f"{dialog_id}:1",
                    output=f"{title}: waarmee kan ik je helpen?",
                    ArticleIds=_dumps([f"dn-{dialog_id}-1"]),
                    **common,
                )
            return
        for _ in range(rng.randint(1, 6)):
            ts = step(ts)
            if ts >= end_ms:
                break
            question, answer = rng.choice(pool)
            if rng.random() < 0.1:
                answer += rng.choice(_EXTRA_LINES)
            kind = rng.choices(_KINDS, cum_weights=_KIND_CUM)[0]
            qa_id = rng.randint(1, 120)
            quality = round(rng.uniform(35, 100), 2) if rng.random() < 0.85 else 0.0
            fields: dict[str, object] = {
                "OutputMetadata": _METADATA_JSON[kind],
                "ArticleIds": f'["qa-{qa_id}"]',
                "RecognitionType": rng.choice(_RECOGNITION),
                "RecognitionQuality": quality,
                "RecognitionDetails": rng.choice(_DETAILS_JSON),
                "Articles": f'[{{"id":{qa_id},"type":"qa","title":{_jstr(question)}}}]',
                **common,
            }
            names = [kind]
            value = question
            if kind == "Dialog":
                dialog_id, title = rng.choice(_DIALOGS)
                node = rng.randint(1, 40)
                value = f"{dialog_id}:{node}"
                fields["ArticleIds"] = _dumps([f"dn-{dialog_id}-{node}"])
                if rng.random() < 0.3:
                    fields["DialogPaths"] = _dumps({"DropOut": f"{dialog_id}:{node}"})
                answer = f"{title}: {answer}"
            elif kind == "TransactionalDialog":
                fields["TDialogStatus"] = rng.choice(_TD_STATUS)
                names = ["TransactionalDialog", "QA"] if rng.random() < 0.3 else names
            elif kind == "GenerativeAI":
                fields["RecognitionType"] = "GenerativeAI"
                fields["GenerativeAISources"] = _dumps(
                    [{"title": question, "url": rng.choice(_PAGES), "score": round(rng.random(), 3)}]
                )
                names = ["GenerativeAI", "QA"] if rng.random() < 0.5 else names
            elif kind == "FaqSearch":
                fields["FaqsFound"] = _dumps([{"id": qa_id, "question": question}])
            elif kind == "QA" and rng.random() < 0.15:
                names = ["QA", "Dialog"]
            origin = add(session, active, combo, ts, kind, names, value=value, output=answer, **fields)
            if kind == "QA" and names == ["QA", "Dialog"]:
                dialog_id, title = rng.choice(_DIALOGS)
                add(
                    session,
                    active,
                    combo,
                    min(ts + rng.randint(1, 40), end_ms - 1),
                    "Dialog",
                    ["Dialog"],
                    interaction=origin,
                    value=f"{dialog_id}:1",
                    output=f"{title}: start",
                    ArticleIds=_dumps([f"dn-{dialog_id}-1"]),
                    **common,
                )
            if rng.random() < 0.2:
                ts = ts + rng.randint(1_000, 120_000)
                if ts >= end_ms:
                    break
                if rng.random() < 0.55:
                    score = rng.choice((1, 1, -1))
                    info = {
                        "score": score,
                        "comment": rng.choice(_FEEDBACK_COMMENTS),
                        "originatingInteractionId": origin,
                    }
                    add(
                        session,
                        active,
                        combo,
                        ts,
                        "Feedback",
                        ["Feedback"],
                        originating=origin,
                        value="yes" if score > 0 else "no",
                        FeedbackInfo=_dumps(info),
                        **common,
                    )
                else:
                    url = rng.choice(_PAGES)
                    link = {"url": url, "linkText": rng.choice(("hier", "here", "Mijn Account")), "position": 1}
                    add(
                        session,
                        active,
                        combo,
                        ts,
                        "LinkClick",
                        ["LinkClick"],
                        originating=origin,
                        value=url,
                        LinkclickInfo=_dumps(link),
                        **common,
                    )
            if rng.random() < 0.25:
                shown = ",".join(f'{{"id":{rng.randint(1, 80)},"question":{_jstr(q)}}}' for q, _ in rng.sample(pool, 2))
                add(
                    session,
                    active,
                    combo,
                    min(ts + 5, end_ms - 1),
                    "DataRetrieval",
                    ["DataRetrieval"],
                    FaqsFound=f"[{shown}]",
                )


def _day_ms(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - _EPOCH).total_seconds() * 1000)


def _late_sessions(day: date, *, seed: int, stream: str, rows_per_day: int, culture: str, rate: float) -> list[_Raw]:
    """The sessions that start in the last minutes of ``day`` and run past midnight.

    Drawn from their own generator, seeded by ``(seed, stream, day)``, so that both days they
    touch get the same rows without generating each other.
    """
    count = rows_per_day // LATE_SESSION_ROWS
    if not count:
        return []
    gen = _Sessions(random.Random(f"digitalcx-simulator:{seed}:{stream}:{day.isoformat()}:late"), culture, rate)
    next_day_ms = _day_ms(day) + _DAY_MS
    for _ in range(count):
        start = next_day_ms - gen.rng.randint(30_000, 20 * 60_000)
        gen.session(start, next_day_ms + _DAY_MS, combo=0, active=True)
    return gen.raw


def generate_day(
    day: date,
    *,
    seed: int,
    rows_per_day: int,
    culture: str,
    unknown_type_rate: float = 0.0,
    stream: str = "",
    slot: tuple[int, int] = (0, 1),
) -> Day:
    """Generate the rows of one UTC day, exactly ``rows_per_day`` of them, sorted.

    Parameters
    ----------
    day
        The UTC day.
    seed
        The simulator's seed; the day's generator is seeded by ``(seed, stream, day)``.
    rows_per_day
        Exact number of rows of the day (before filters).
    culture
        The culture written in the ``Culture`` column (``en...``: mostly English text).
    unknown_type_rate
        Fraction of rows that carry the unknown type name ``"Smalltalk"`` (default none).
    stream
        Names the (project, culture) the rows belong to; each stream has its own rows. ``""``
        (the simulator's first project and culture) keeps the seeds of a single-project simulator.
    slot
        ``(index, count)`` of the stream among the simulator's streams: LogIds of a day are
        interleaved by stream, so they are unique over every project and culture.

    Examples
    --------
    >>> one = generate_day(date(2026, 11, 1), seed=0, rows_per_day=40, culture="nl")
    >>> two = generate_day(date(2026, 11, 1), seed=0, rows_per_day=40, culture="en", stream="sales/en", slot=(1, 2))
    >>> len(two.rows), set(one.ts).isdisjoint(two.ts), two.rows[0][COL["Culture"]]
    (40, True, 'en')
    """
    key = f"{seed}:{day.isoformat()}" if not stream else f"{seed}:{stream}:{day.isoformat()}"
    rng = random.Random(f"digitalcx-simulator:{key}")
    day_ms = _day_ms(day)
    end_ms = day_ms + _DAY_MS
    late = functools.partial(
        _late_sessions, seed=seed, stream=stream, rows_per_day=rows_per_day, culture=culture, rate=unknown_type_rate
    )
    carried = [item for item in late(day - timedelta(days=1)) if day_ms <= item[0] < end_ms]
    carried += [item for item in late(day) if item[0] < end_ms]
    del carried[rows_per_day:]
    gen = _Sessions(rng, culture, unknown_type_rate)
    target = rows_per_day - len(carried)
    while len(gen.raw) < target:
        hour = rng.choices(_HOURS, cum_weights=_HOUR_CUM)[0]
        gen.session(day_ms + hour * 3_600_000 + rng.randrange(3_600_000), end_ms)
    raw = gen.raw
    del raw[target:]
    raw.extend((ts, len(raw) + i, *rest) for i, (ts, _, *rest) in enumerate(carried))  # type: ignore[misc]
    raw.sort(key=lambda item: (item[0], item[1]))
    index, count = slot
    day_index = (day - date(2024, 1, 1)).days
    base = 5_000_000_000 + (day_index * count + index) * 1_000_000  # ~5.3e9 in 2025, like the live service
    out = Day(day, [], [], [], [], [], [], [])
    for rank, (ts, _, values, combo, active, names, main) in enumerate(raw):
        values[0] = base + rank * 2 + rng.randint(0, 1)
        out.rows.append(tuple(values))
        out.ts.append(ts)
        out.combo.append(combo)
        out.main_bit.append(_BIT.get(main, 0))
        mask = 0
        for name in names:
            mask |= _BIT.get(name, 0)
        out.mask.append(mask)
        out.active.append(active)
        out.names.append(names)
    return out
