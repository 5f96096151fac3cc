"""Seeded, deterministic, realistic interaction rows for the simulator, one UTC day at a time.

Each UTC day is generated from its own random generators seeded by ``(seed, stream, day)``
(a stream is one project and culture), so the rows of a day do not depend on which window
or page asked for them. A day holds exactly ``rows_per_day`` rows (before any filter; with
``traffic="realistic"`` a number that follows the weekday), sorted by
``(TimestampStart, LogId)``. A day's rows are whole sessions placed by the local hour of the
project's time zone, plus the rows of the sessions that cross midnight (seeded by their
first day, so both days agree). From :data:`VECTORISE_FROM` rows a day the sessions are
drawn with numpy from a library of whole sessions instead of generated one by one.

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
import hashlib
import itertools
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

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
    (
        "Hoe kan ik mijn abonnement opzeggen?",
        "Je kunt je abonnement opzeggen via Mijn Account, onder 'Instellingen'.",
        101,
        "Abonnement",
        "abonnement",
    ),
    (
        "Wat kost een extra bundel?",
        "Een extra bundel kost € 5,00 per maand, te betalen via iDEAL | creditcard.",
        102,
        "Abonnement",
        "bundel",
    ),
    ("Waar vind ik mijn factuur", 'Je factuur staat onder "Facturen" in de app.', 103, "Facturen", "factuur"),
    (
        "Kan ik mijn café-pas koppelen?",
        "Ja, koppel je café-pas in het menu Betalen, daarna is hij direct actief.",
        104,
        "Betalen",
        "café-pas",
    ),
    (
        "Ik wil een klacht indienen",
        "Vervelend om te horen. Vul het klachtenformulier in, dan reageren we binnen 2 dagen.",
        105,
        "Klachten",
        "klacht",
    ),
    (
        "wanneer wordt mijn pakket bezorgd",
        "Bezorging gebeurt op werkdagen tussen 09:00 en 18:00, ook op zaterdag.",
        106,
        "Bezorging",
        "pakket",
    ),
    (
        "Wat zijn de openingstijden?",
        "Ma-vr: 08:00-20:00, za: 10:00-16:00 | zondag gesloten.",
        107,
        "Contact",
        "openingstijden",
    ),
    ("Hoe wijzig ik mijn adres", 'Ga naar Profiel > Adres, wijzig het en klik op "Opslaan".', 108, "Account", "adres"),
    (
        "Is er een ‘actie’ deze week?",
        "Deze week krijg je 10% korting op alle toestellen vanaf € 199.",
        109,
        "Acties",
        "actie",
    ),
    (
        "Hoe reset ik mijn wachtwoord?",
        "Klik op 'Wachtwoord vergeten', je ontvangt dan binnen enkele minuten een e-mail.",
        110,
        "Account",
        "wachtwoord",
    ),
)
"""Dutch Q&A: (question, answer, article id, category, the entity the question matches)."""
_QA_EN: Final = (
    (
        "How do I cancel my subscription?",
        "You can cancel it in My Account, under 'Settings'.",
        101,
        "Subscription",
        "subscription",
    ),
    (
        "What does an extra bundle cost?",
        "An extra bundle costs €5.00 a month, paid by card | PayPal.",
        102,
        "Subscription",
        "bundle",
    ),
    ("Where is my invoice", 'Your invoice is under "Invoices" in the app.', 103, "Invoices", "invoice"),
    (
        "Can I pay at the café?",
        "Yes, you can pay with the app at any partner café, shop or kiosk.",
        104,
        "Payments",
        "café",
    ),
    (
        "I want to file a complaint",
        "Sorry to hear that. Fill in the complaint form, and we answer within 2 days.",
        105,
        "Complaints",
        "complaint",
    ),
    (
        "When will my parcel arrive?",
        "We deliver on weekdays between 9 am and 6 pm, and on Saturdays.",
        106,
        "Delivery",
        "parcel",
    ),
    (
        "What are your opening hours?",
        "Mon-Fri: 8 am-8 pm, Sat: 10 am-4 pm | closed on Sundays.",
        107,
        "Contact",
        "opening hours",
    ),
    (
        "How do I reset my password?",
        "Click 'Forgot password'; you will get an e-mail within a few minutes.",
        110,
        "Account",
        "password",
    ),
)
"""English Q&A, the same articles (ids) as their Dutch translations."""
_FALLBACK: Final = (
    "Sorry, dat begrijp ik niet. Kun je je vraag anders stellen?",
    "Sorry, I did not understand that. Could you rephrase your question?",
)
_ESCALATION: Final = (
    ("Ik wil een medewerker spreken", "Ik verbind je door met een collega van {group}. Een moment geduld."),
    ("Can I talk to a human?", "I am connecting you to a colleague from {group}. One moment please."),
)
_ESCALATION_ARTICLE: Final = (900, "Escalatie")
_ESCALATION_GROUPS: Final = ("klantenservice", "billing", "technisch")
_EXTRA_LINES: Final = (
    "\nMeer informatie vind je op onze website.",
    "\r\nMore details: see the FAQ.",
    '\n\nTip: gebruik de knop "Chat" voor vragen.',
    "\nStap 1: log in\nStap 2: kies 'Instellingen'",
)
_FEEDBACK_COMMENTS: Final = ("Top, bedankt!", "Niet duidelijk", "Great, thanks", 'Antwoord klopt niet, "raar"')
_DIALOGS: Final = (
    (
        12,
        "Opzeggen",
        (
            ("Start", "start"),
            ("Reden opzeggen", "question"),
            ("Aanbod behouden", "question"),
            ("Bevestiging opzegging", "answer"),
            ("Einde", "end"),
        ),
    ),
    (
        7,
        "Verhuizen",
        (("Start", "start"), ("Nieuw adres", "question"), ("Verhuisdatum", "question"), ("Bevestiging", "end")),
    ),
    (
        31,
        "Storing melden",
        (
            ("Start", "start"),
            ("Soort storing", "question"),
            ("Postcode", "question"),
            ("Storing bekend", "answer"),
            ("Monteur inplannen", "end"),
        ),
    ),
    (44, "Bestelling", (("Start", "start"), ("Bestelnummer", "question"), ("Status tonen", "end"))),
)
"""Dialogs: (dialog id, name, nodes in order as (name, type)); node ids count from 1."""
_EVENTS: Final = ((3, "welcome"), (5, "onLoad"), (9, "proactive_offer"))
_PAGES: Final = (
    "https://www.example.nl/klantenservice",
    "https://www.example.nl/bestellen?step=2",
    "https://www.example.com/en/support",
    "https://www.example.nl/mijn-account",
)
_RECOGNITION: Final = ("Entity Recognition", "Classification", "Exact Match", "Text Search")
_TD_STATUS: Final = ("Started", "Completed", "Aborted", "Completed")
_CHANNELS: Final = ("web", "web", "app", "whatsapp")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pascal(value: object) -> object:
    """``value`` with every object key in PascalCase (the other key style seen in the field)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


@functools.lru_cache(maxsize=4096)
def _jstr(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _dumps_case(value: object, pascal: bool) -> str:
    return _dumps(_pascal(value) if pascal else value)


@functools.lru_cache(maxsize=4096)
def _ids_json(*ids: str) -> str:
    return _dumps(list(ids))


@functools.lru_cache(maxsize=4096)
def _qa_articles(article: int, category: str, pascal: bool) -> str:
    entry = {"articleId": str(article), "categories": [{"name": category}]}
    return _dumps_case({"qa": [entry], "dialog": [], "event": []}, pascal)


@functools.lru_cache(maxsize=4096)
def _event_articles(event_id: int, event: str, pascal: bool) -> str:
    return _dumps_case({"qa": [], "dialog": [], "event": [{"eventId": str(event_id), "eventName": event}]}, pascal)


@functools.lru_cache(maxsize=4096)
def _dialog_articles(dialog: int, node: int, status: str, pascal: bool) -> str:
    dialog_id, name, nodes = _DIALOGS[dialog]
    node_name, node_type = nodes[node - 1]
    entry = {
        "dialogId": str(dialog_id),
        "dialogName": name,
        "nodeId": str(node),
        "nodeName": node_name,
        "dialogStatus": status,
        "nodeType": node_type,
    }
    return _dumps_case({"qa": [], "dialog": [entry], "event": []}, pascal)


@functools.lru_cache(maxsize=4096)
def _details_json(article: int, entity: str, matched: bool, missing: str, pascal: bool) -> str:
    match = {"entityId": f"ent-{article}", "displayName": entity.title(), "name": entity, "match": entity}
    details: dict[str, object] = {"entityMatches": [match] if matched else []}
    if missing:
        details["missingWords"] = [missing]
    return _dumps_case(details, pascal)


@functools.lru_cache(maxsize=4096)
def _session_json(page: str, channel: str, logged_in: bool, pascal: bool) -> tuple[str, str, str]:
    """Pages, Contexts and Variables of a session."""
    contexts = [{"name": "channel", "value": channel}, {"name": "loggedIn", "value": "true" if logged_in else "false"}]
    return (
        _dumps_case({"originatingPage": page}, pascal),
        _dumps_case(contexts, pascal),
        _dumps({"customerId": "#CustomerId#" if logged_in else "", "loggedIn": logged_in}),
    )


def _metadata_json(pairs: list[tuple[str, str]], pascal: bool) -> str:
    key, value = ("Key", "Value") if pascal else ("key", "value")
    return "[" + ",".join(f'{{"{key}":{_jstr(k)},"{value}":{_jstr(v)}}}' for k, v in pairs) + "]"


_REST: Final[tuple[object, ...]] = tuple(None if n == "RecognitionQuality" else "" for n in API_COLUMN_NAMES[12:])
JSON_COLUMNS: Final = (
    "OutputMetadata",
    "ArticleIds",
    "DialogPaths",
    "RecognitionDetails",
    "GenerativeAISources",
    "Articles",
    "FaqsFound",
    "Contexts",
    "Pages",
    "LinkclickInfo",
    "FeedbackInfo",
    "AdditionalSessionInfo",
    "Variables",
)
"""The columns that hold JSON text (API.md section 4)."""
_MALFORMABLE: Final = tuple(COL[name] for name in JSON_COLUMNS if name not in ("AdditionalSessionInfo", "Variables"))
_KINDS: Final = ("QA", "Dialog", "TransactionalDialog", "GenerativeAI", "FaqClick", "FaqSearch")
_KIND_CUM: Final = tuple(itertools.accumulate((58, 7, 6, 10, 8, 9)))
_COMBO_CUM: Final = tuple(itertools.accumulate(_COMBO_WEIGHTS))
_COMBOS_RANGE: Final = range(len(COMBOS))
_HOURS: Final = range(24)


_WEEKDAY_HOURS: Final = (1, 1, 1, 1, 1, 2, 4, 9, 14, 16, 16, 15, 13, 14, 15, 14, 12, 10, 8, 7, 6, 4, 3, 2)
_WEEKEND_HOURS: Final = (2, 1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 7, 5, 3, 2)
"""Traffic by local hour on weekdays (office hours) and at weekends (later, flatter, evenings)."""
_DAY_FACTORS: Final = (1.15, 1.12, 1.1, 1.08, 1.0, 0.55, 0.5)
"""Traffic by weekday, Monday first (``traffic="realistic"``), relative to the week's mean."""
CAMPAIGN_RATE: Final = 0.06
"""Share of days with a campaign spike (``traffic="realistic"``): 1.6 to 2.6 times the day's
traffic, the extra rows in three office hours."""


@functools.lru_cache(maxsize=4096)
def _hour_cum(day: date, time_zone: str, spike: tuple[int, float] | None) -> tuple[float, ...]:
    """Cumulative weights of the 24 UTC hours of ``day`` from the local hour in ``time_zone``."""
    zone = ZoneInfo(time_zone)
    weights: list[float] = []
    block: list[int] = []
    for hour in _HOURS:
        local = datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC).astimezone(zone)
        weights.append((_WEEKEND_HOURS if local.weekday() >= 5 else _WEEKDAY_HOURS)[local.hour])
        if spike is not None and spike[0] <= local.hour < spike[0] + 3:
            block.append(hour)
    if spike is not None and block:  # the campaign's extra rows all land in its block
        total, inside = sum(weights), sum(weights[h] for h in block)
        for hour in block:
            weights[hour] *= 1 + (spike[1] - 1) * total / inside
    return tuple(itertools.accumulate(weights))


def day_volume(
    day: date, *, seed: int, stream: str, rows_per_day: int, traffic: str
) -> tuple[int, tuple[int, float] | None]:
    """Rows of ``day`` and its campaign spike ``(first local hour, factor)`` if any.

    ``traffic="flat"``: exactly ``rows_per_day``, no spike. ``"realistic"``: ``rows_per_day``
    scaled by the weekday (weekdays busier, weekends about half; the week's mean is
    ``rows_per_day``) and, on a seeded :data:`CAMPAIGN_RATE` of days, by a campaign spike.

    >>> day_volume(date(2026, 11, 16), seed=0, stream="", rows_per_day=1000, traffic="flat")
    (1000, None)
    >>> [day_volume(date(2026, 11, d), seed=0, stream="", rows_per_day=1000, traffic="realistic")[0] for d in (16, 21)]
    [1238, 592]
    """
    if traffic == "flat":
        return rows_per_day, None
    rng = random.Random(f"digitalcx-simulator:{seed}:{stream}:{day.isoformat()}:campaign")
    factor = _DAY_FACTORS[day.weekday()] * len(_DAY_FACTORS) / sum(_DAY_FACTORS)
    spike = None
    if rng.random() < CAMPAIGN_RATE:
        boost = round(rng.uniform(1.6, 2.6), 2)
        spike = (rng.randint(9, 15), boost)
        factor *= boost
    return min(500_000, round(rows_per_day * factor)), spike


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _types_text(names: list[str], rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "[" + ",".join(f'"{n}"' for n in names) + "]"
    return "[ " + ", ".join(f'"{n}"' for n in names) + "]"


_Raw = tuple[int, int, list[object], int, bool, list[str], str]
"""One generated row before sorting: (TimestampStart ms, sequence, values, combo, active, type names, main type)."""

LATE_SESSION_ROWS: Final = 1500
"""Sessions that start in the last 45 minutes of a UTC day and run past midnight: one per this
many ``rows_per_day``, at least one from 200 rows a day (none below)."""


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
        """One session starting at ``ts``; rows at or after ``end_ms`` are not generated.

        A session: maybe a welcome event and the FAQs shown, then (if active) one to six
        turns: a Q&A answer (recognised or the fallback), a dialog walked node by node until
        it ends or the user drops out, a transactional dialog, a generated answer, a FAQ click
        or search; after an answer maybe feedback on it (now and then twice) or a link click;
        and for a share of sessions a last turn that escalates to a human (``escalationGroup``
        in the output metadata). A fifth of sessions write their JSON keys in PascalCase.
        """
        rng = self.rng
        add = self.add
        if combo is None:
            combo = rng.choices(_COMBOS_RANGE, cum_weights=_COMBO_CUM)[0]
        session = _uuid(rng)
        if active is None:
            active = rng.random() < 0.72
        english = rng.random() < self.english_share
        pool = _QA_EN if english else _QA_NL
        pascal = rng.random() < 0.2
        logged_in = rng.random() < 0.4
        conversation = f"conv-{rng.getrandbits(48):012x}"
        pages, contexts, variables = _session_json(rng.choice(_PAGES), rng.choice(_CHANNELS), logged_in, pascal)
        common: dict[str, object] = {
            "Pages": pages,
            "Contexts": contexts,
            "AdditionalSessionInfo": self.session_info,
            "Variables": variables,
        }
        conversation_json = _metadata_json([("conversation_id", conversation)], pascal)
        ts = min(ts, end_ms - 1)

        def dialog_row(at: int, dialog: int, node: int, status: str, **more: object) -> str:
            dialog_id, name, nodes = _DIALOGS[dialog]
            fields: dict[str, object] = {
                "ArticleIds": _ids_json(f"dn-{dialog_id}-{node}"),
                "Articles": _dialog_articles(dialog, node, status, pascal),
                "OutputMetadata": conversation_json,
                **common,
                **more,
            }
            if status == "DroppedOut":
                fields["DialogPaths"] = _dumps({"DropOut": f"{dialog_id}:{node}"})
            output = f"{name}: {nodes[node - 1][0]}"
            return add(
                session, active, combo, at, "Dialog", ["Dialog"], value=f"{dialog_id}:{node}", output=output, **fields
            )

        def step(ts: int) -> int:
            return ts + rng.randint(2_000, _SESSION_TIMEOUT_MS - 5_000)  # earlier rows may be 3 s later

        def faqs(count: int) -> str:
            return "[" + ",".join(f'{{"id":{a[2]},"question":{_jstr(a[0])}}}' for a in rng.sample(pool, count)) + "]"

        if rng.random() < 0.6:
            names = ["Event", "DataRetrieval"] if rng.random() < 0.4 else ["Event"]
            found: dict[str, object] = {}
            event = ""
            if rng.random() < 0.85:
                event_id, event = rng.choice(_EVENTS)
                found = {"ArticleIds": _ids_json(f"e-{event_id}"), "Articles": _event_articles(event_id, event, pascal)}
            add(session, active, combo, ts, "Event", names, value=event, **found, **common)
            ts += rng.randint(50, 3_000)
        if rng.random() < 0.7 and ts < end_ms:
            add(session, active, combo, ts, "DataRetrieval", ["DataRetrieval"], FaqsFound=faqs(3), **common)
            ts += rng.randint(50, 3_000)
        if not active:  # at most a dialog start that is not continued
            if rng.random() < 0.4 and ts < end_ms:
                dialog_row(ts, rng.randrange(len(_DIALOGS)), 1, "Started")
            return
        escalate = rng.random() < 0.1
        for _ in range(rng.randint(1, 6)):
            ts = step(ts)
            if ts >= end_ms:
                break
            kind = rng.choices(_KINDS, cum_weights=_KIND_CUM)[0]
            if kind == "Dialog":  # walked node by node until its end or a drop-out
                dialog = rng.randrange(len(_DIALOGS))
                length = len(_DIALOGS[dialog][2])
                reached = 1
                while reached < length and rng.random() < 0.78:
                    reached += 1
                for node in range(1, reached + 1):
                    status = "Started" if node == 1 else "InProgress"
                    if node == reached:
                        status = "Completed" if reached == length else "DroppedOut"
                    origin = dialog_row(ts, dialog, node, status)
                    if node < reached:
                        ts += rng.randint(3_000, 90_000)
                        if ts >= end_ms:
                            return
            else:
                question, answer, article, category, entity = rng.choice(pool)
                recognised = rng.random() < 0.85
                metadata = [("conversation_id", conversation)]
                if rng.random() < 0.3:
                    metadata.append(("CURRENT_DATETIME", iso_ms(ts)))
                fields: dict[str, object] = {"RecognitionType": rng.choice(_RECOGNITION), **common}
                if recognised:
                    if rng.random() < 0.1:
                        answer += rng.choice(_EXTRA_LINES)
                    matched = rng.random() < 0.8
                    missing = rng.choice(("graag", "even", "please", "nu")) if rng.random() < 0.2 else ""
                    fields["RecognitionQuality"] = round(rng.uniform(35, 100), 2)
                    fields["RecognitionDetails"] = _details_json(article, entity, matched, missing, pascal)
                    fields["ArticleIds"] = _ids_json(f"qa-{article}")
                    fields["Articles"] = _qa_articles(article, category, pascal)
                else:  # not recognised: the fallback answer
                    answer = _FALLBACK[english]
                    fields["RecognitionQuality"] = 0.0
                names = [kind]
                if kind == "TransactionalDialog":
                    status = rng.choice(_TD_STATUS)
                    fields["TDialogStatus"] = status
                    if status == "Aborted":  # a value holding JSON, newlines replaced by "_"
                        metadata.append(("abortTransactionAction", '{_  "action": "cancel",_  "reason": "user"_}'))
                    names = ["TransactionalDialog", "QA"] if rng.random() < 0.3 else names
                elif kind == "GenerativeAI":
                    fields["RecognitionType"] = "GenerativeAI"
                    fields["GenerativeAISources"] = _dumps(
                        [{"title": question, "url": rng.choice(_PAGES), "score": round(rng.random(), 3)}]
                    )
                    names = ["GenerativeAI", "QA"] if rng.random() < 0.5 else names
                elif kind == "FaqSearch":
                    fields["FaqsFound"] = _dumps([{"id": article, "question": question}])
                elif kind == "QA" and recognised and rng.random() < 0.15:
                    names = ["QA", "Dialog"]
                fields["OutputMetadata"] = _metadata_json(metadata, pascal)
                origin = add(session, active, combo, ts, kind, names, value=question, output=answer, **fields)
                if names == ["QA", "Dialog"]:  # the answer starts a dialog: same interaction, another LogId
                    at = min(ts + rng.randint(1, 40), end_ms - 1)
                    dialog_row(at, rng.randrange(len(_DIALOGS)), 1, "Started", interaction=origin)
            if rng.random() < 0.2:
                ts = ts + rng.randint(1_000, 120_000)
                if ts >= end_ms:
                    break
                if rng.random() < 0.55:
                    for repeat in range(2 if rng.random() < 0.1 else 1):  # feedback can be given twice on one answer
                        if repeat:
                            ts = min(ts + rng.randint(1_000, 30_000), end_ms - 1)
                        score = rng.choice((1, 1, -1))
                        info: dict[str, object] = {"score": score}
                        known = rng.random()
                        if known >= 0.15:
                            info["originatingInteractionId"] = origin
                        if rng.random() < 0.4:
                            info["comment"] = rng.choice(_FEEDBACK_COMMENTS)
                        add(
                            session,
                            active,
                            combo,
                            ts,
                            "Feedback",
                            ["Feedback"],
                            originating=origin if known >= 0.05 else "",  # now and then no origin at all
                            value="yes" if score > 0 else "no",
                            FeedbackInfo=_dumps_case(info, pascal),
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
                        LinkclickInfo=_dumps_case(link, pascal),
                        **common,
                    )
            if rng.random() < 0.25:
                at = min(ts + 5, end_ms - 1)
                add(session, active, combo, at, "DataRetrieval", ["DataRetrieval"], FaqsFound=faqs(2))
        if escalate:  # the last turn asks for a human
            ts = step(ts)
            if ts < end_ms:
                question, answer = _ESCALATION[english]
                group = rng.choice(_ESCALATION_GROUPS)
                article, category = _ESCALATION_ARTICLE
                metadata = [("escalationGroup", group), ("conversation_id", conversation)]
                add(
                    session,
                    active,
                    combo,
                    ts,
                    "QA",
                    ["QA"],
                    value=question,
                    output=answer.format(group=group),
                    OutputMetadata=_metadata_json(metadata, pascal),
                    ArticleIds=_ids_json(f"qa-{article}"),
                    Articles=_qa_articles(article, category, pascal),
                    RecognitionType="Classification",
                    RecognitionQuality=round(rng.uniform(80, 100), 2),
                    **common,
                )


def _day_ms(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - _EPOCH).total_seconds() * 1000)


def crossing_count(rows_per_day: int) -> int:
    """Sessions a day that cross midnight by default: one per :data:`LATE_SESSION_ROWS` rows, at least one from 200.

    >>> [crossing_count(n) for n in (100, 300, 20_000)]
    [0, 1, 13]
    """
    return max(1, rows_per_day // LATE_SESSION_ROWS) if rows_per_day >= 200 else 0


def _late_sessions(day: date, *, seed: int, stream: str, count: int, culture: str, rate: float) -> list[_Raw]:
    """The sessions that start in the last minutes of ``day`` and run past midnight.

    Drawn from their own generator, seeded by ``(seed, stream, day)``, so that both days they
    touch get the same rows without generating each other.
    """
    if not count:
        return []
    gen = _Sessions(random.Random(f"digitalcx-simulator:{seed}:{stream}:{day.isoformat()}:late"), culture, rate)
    next_day_ms = _day_ms(day) + _DAY_MS
    for _ in range(count):
        start = next_day_ms - gen.rng.randint(30_000, 45 * 60_000)
        gen.session(start, next_day_ms + _DAY_MS, combo=0, active=True)
    return gen.raw


VECTORISE_FROM: Final = 20_000
"""From this many ``rows_per_day`` the day's sessions are drawn vectorised (see :func:`generate_day`)."""
_TEMPLATE_SESSIONS: Final = 4096
COLUMNS_KEY: Final = "columns"
"""Key of :attr:`Day.cache` holding the day's values column by column until the CSV is rendered."""
_CONVERSATION: Final = re.compile(r"conv-[0-9a-f]{12}")
_STAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass(slots=True)
class _Columns:
    """Rows as columns: the 28 wire values, then what the filters need."""

    values: list[np.ndarray]  # one array per API column (object, or int64 for the timestamps)
    ts: np.ndarray  # TimestampStart, milliseconds (int64)
    combo: np.ndarray  # int64
    active: np.ndarray  # bool
    names: np.ndarray  # object: the type names (a list per row)
    main: np.ndarray  # object: the main type name

    @classmethod
    def of(cls, raw: list[_Raw]) -> _Columns:
        """Columns of rows generated row by row."""
        rows = [item[2] for item in raw]
        values = [_objects(list(column)) for column in zip(*rows, strict=True)] if rows else _empty_values()
        return cls(
            values,
            np.array([item[0] for item in raw], dtype=np.int64),
            np.array([item[3] for item in raw], dtype=np.int64),
            np.array([item[4] for item in raw], dtype=bool),
            _objects([item[5] for item in raw]),
            _objects([item[6] for item in raw]),
        )

    def take(self, order: np.ndarray) -> _Columns:
        """The rows at ``order``."""
        return _Columns(
            [column[order] for column in self.values],
            self.ts[order],
            self.combo[order],
            self.active[order],
            self.names[order],
            self.main[order],
        )

    @staticmethod
    def concat(parts: list[_Columns]) -> _Columns:
        """The rows of ``parts``, one after the other."""
        return _Columns(
            [np.concatenate([p.values[i] for p in parts]) for i in range(len(API_COLUMN_NAMES))],
            np.concatenate([p.ts for p in parts]),
            np.concatenate([p.combo for p in parts]),
            np.concatenate([p.active for p in parts]),
            np.concatenate([p.names for p in parts]),
            np.concatenate([p.main for p in parts]),
        )


def _objects(items: list[object]) -> np.ndarray:
    """A 1-d object array of ``items`` (lists stay elements, never a second dimension)."""
    array = np.empty(len(items), dtype=object)
    if items and isinstance(items[0], list):
        for i, item in enumerate(items):
            array[i] = item
    else:
        array[:] = items
    return array


def _empty_values() -> list[np.ndarray]:
    return [np.empty(0, dtype=object) for _ in API_COLUMN_NAMES]


@dataclass(frozen=True, slots=True)
class _Library:
    """Whole sessions generated once per stream, each row relative to its session's start."""

    starts: np.ndarray  # first row of each session
    lengths: np.ndarray  # rows of each session
    interactions: np.ndarray  # distinct interactions of each session
    offsets: np.ndarray  # per row: milliseconds after the session's start
    durations: np.ndarray  # per row: TimestampEnd - TimestampStart
    local: np.ndarray  # per row: its interaction, numbered within the session
    origin: np.ndarray  # per row: the interaction it follows (-1: none)
    columns: _Columns  # the template rows (their uuids, conversation ids and stamps are replaced)
    conversation: np.ndarray  # per row: the template conversation id in OutputMetadata ("" none)
    stamp: np.ndarray  # per row: the template CURRENT_DATETIME in OutputMetadata ("" none)


@functools.lru_cache(maxsize=16)
def _library(seed: int, stream: str, culture: str, unknown_type_rate: float) -> _Library:
    gen = _Sessions(random.Random(f"digitalcx-simulator:{seed}:{stream}:templates"), culture, unknown_type_rate)
    starts, lengths, interactions = [], [], []
    local: list[int] = []
    origin: list[int] = []
    for _ in range(_TEMPLATE_SESSIONS):
        first = len(gen.raw)
        gen.session(_DAY_MS, 100 * _DAY_MS)
        if len(gen.raw) == first:
            continue
        numbers: dict[object, int] = {}
        for item in gen.raw[first:]:
            values = item[2]
            local.append(numbers.setdefault(values[1], len(numbers)))
            origin.append(numbers.get(values[2], -1) if values[2] else -1)
        starts.append(first)
        lengths.append(len(gen.raw) - first)
        interactions.append(len(numbers))
    metadata = COL["OutputMetadata"]
    conversation, stamp = [], []
    for item in gen.raw:
        text = str(item[2][metadata])
        found = _CONVERSATION.search(text)
        conversation.append(found.group() if found else "")
        found = _STAMP.search(text)
        stamp.append(found.group() if found else "")
    begin, end = COL["TimestampStart"], COL["TimestampEnd"]
    return _Library(
        np.array(starts, dtype=np.int64),
        np.array(lengths, dtype=np.int64),
        np.array(interactions, dtype=np.int64),
        np.array([item[0] - _DAY_MS for item in gen.raw], dtype=np.int64),
        np.array([int(item[2][end]) - int(item[2][begin]) for item in gen.raw], dtype=np.int64),  # type: ignore[call-overload]
        np.array(local, dtype=np.int64),
        np.array(origin, dtype=np.int64),
        _Columns.of(gen.raw),
        _objects(list(conversation)),
        _objects(list(stamp)),
    )


def _uuids(generator: np.random.Generator, count: int) -> np.ndarray:
    raw = generator.bytes(16 * count).hex()
    return _objects(
        [
            f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
            for h in (raw[i : i + 32] for i in range(0, 32 * count, 32))
        ]
    )


def _vectorised_sessions(
    key: str, library: _Library, target: int, day_ms: int, hour_cum: tuple[float, ...]
) -> _Columns:
    """``target`` rows of whole sessions drawn from ``library``, placed in the day by ``hour_cum``.

    The sessions are the library's, so every rule of a session holds (feedback rates the
    answer before it, dialogs walk their nodes ...); what is drawn per day with numpy is which
    sessions, when they start, and fresh uuids and conversation ids. As in the row-by-row
    generator, rows at or after midnight are not generated and the last session is cut at
    ``target`` rows.
    """
    generator = np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))
    end_ms = day_ms + _DAY_MS
    cum = np.array(hour_cum, dtype=np.float64)
    mean = float(library.lengths.mean())
    picks_parts, starts_parts, kept_rows = [], [], 0
    while kept_rows < target:
        count = int((target - kept_rows) / mean * 1.2) + 8
        picks = generator.integers(0, len(library.lengths), count)
        hours = np.searchsorted(cum, generator.random(count) * cum[-1], side="right")
        starts = day_ms + np.minimum(hours, 23) * 3_600_000 + generator.integers(0, 3_600_000, count)
        lengths = library.lengths[picks]
        index = np.repeat(library.starts[picks] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        kept_rows += int((np.repeat(starts, lengths) + library.offsets[index] < end_ms).sum())
        picks_parts.append(picks)
        starts_parts.append(starts)
    picks = np.concatenate(picks_parts)
    starts = np.concatenate(starts_parts)
    lengths = library.lengths[picks]
    session_of = np.repeat(np.arange(len(picks)), lengths)
    index = np.repeat(library.starts[picks] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    stamps = np.repeat(starts, lengths) + library.offsets[index]
    keep = np.flatnonzero(stamps < end_ms)[:target]
    index, stamps, session_of = index[keep], stamps[keep], session_of[keep]
    used = int(session_of[-1]) + 1 if len(keep) else 0
    interactions = library.interactions[picks[:used]]
    first_interaction = np.cumsum(interactions) - interactions
    sessions = _uuids(generator, used)
    conversations = _objects([f"conv-{value:012x}" for value in generator.integers(0, 1 << 48, used).tolist()])
    uuids = _uuids(generator, int(interactions.sum()))
    out = library.columns.take(index)
    values = out.values
    base = first_interaction[session_of]
    values[COL["InteractionUuid"]] = uuids[base + library.local[index]]
    origin = library.origin[index]
    follows = np.flatnonzero(origin >= 0)
    feedback = COL["FeedbackInfo"]
    originating = values[COL["OriginatingInteractionUuid"]]
    template_origin = originating[follows]
    originating[follows] = uuids[base[follows] + origin[follows]]
    for at, old in zip(follows.tolist(), template_origin.tolist(), strict=True):
        info = values[feedback][at]
        if info:  # the id of the rated answer inside FeedbackInfo
            values[feedback][at] = info.replace(old, originating[at])
    values[COL["SessionUuid"]] = sessions[session_of]
    values[COL["TimestampStart"]] = stamps
    values[COL["TimestampEnd"]] = stamps + library.durations[index]
    out.ts = stamps
    metadata = values[COL["OutputMetadata"]]
    template_conversation = library.conversation[index]
    template_stamp = library.stamp[index]
    for at in np.flatnonzero(template_conversation != "").tolist():
        text = metadata[at].replace(template_conversation[at], conversations[session_of[at]])
        if template_stamp[at]:
            text = text.replace(template_stamp[at], iso_ms(int(stamps[at])))
        metadata[at] = text
    return out


def generate_day(
    day: date,
    *,
    seed: int,
    rows_per_day: int,
    culture: str,
    unknown_type_rate: float = 0.0,
    stream: str = "",
    slot: tuple[int, int] = (0, 1),
    traffic: str = "flat",
    time_zone: str = "Europe/Amsterdam",
    malformed_rate: float = 0.0,
    vectorised: bool | None = None,
    crossing_sessions: int | None = None,
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
    traffic
        ``"flat"``: exactly ``rows_per_day`` rows; ``"realistic"``: see :func:`day_volume`.
    time_zone
        The project's time zone: its office hours are the busy hours, its nights quiet.
    malformed_rate
        Share of rows with one JSON-text value cut short (no longer valid JSON), chosen by a
        generator of its own, so that the other values are those of ``malformed_rate=0``.
    vectorised
        Draw the day's sessions with numpy from a library of 4,096 whole sessions generated
        once per stream (same rules, fresh uuids, conversation ids and start times), about ten
        times faster; ``None`` (default): from :data:`VECTORISE_FROM` rows a day. Sessions
        that cross midnight are generated row by row either way.
    crossing_sessions
        Sessions a day that start in the last 45 minutes before midnight UTC and run past it
        (their rows after midnight belong to the next day); ``None``: :func:`crossing_count`.

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
        _late_sessions,
        seed=seed,
        stream=stream,
        count=crossing_count(rows_per_day) if crossing_sessions is None else crossing_sessions,
        culture=culture,
        rate=unknown_type_rate,
    )
    carried = [item for item in late(day - timedelta(days=1)) if day_ms <= item[0] < end_ms]
    carried += [item for item in late(day) if item[0] < end_ms]
    volume, spike = day_volume(day, seed=seed, stream=stream, rows_per_day=rows_per_day, traffic=traffic)
    del carried[volume:]
    hour_cum = _hour_cum(day, time_zone, spike)
    target = volume - len(carried)
    if vectorised or (vectorised is None and rows_per_day >= VECTORISE_FROM):
        library = _library(seed, stream, culture, unknown_type_rate)
        main = _vectorised_sessions(f"digitalcx-simulator:{key}", library, target, day_ms, hour_cum)
    else:
        gen = _Sessions(rng, culture, unknown_type_rate)
        while len(gen.raw) < target:
            hour = rng.choices(_HOURS, cum_weights=hour_cum)[0]
            gen.session(day_ms + hour * 3_600_000 + rng.randrange(3_600_000), end_ms)
        del gen.raw[target:]
        main = _Columns.of(gen.raw)
    both = _Columns.concat([main, _Columns.of(carried)])
    rows = both.take(np.lexsort((np.arange(len(both.ts)), both.ts)))  # by (TimestampStart, generation order)
    values = rows.values
    if malformed_rate:
        bad = random.Random(f"digitalcx-simulator:{key}:malformed")
        for at in range(len(rows.ts)):
            if bad.random() < malformed_rate:
                filled = [i for i in _MALFORMABLE if values[i][at]]
                if filled:
                    i = bad.choice(filled)
                    text = str(values[i][at])
                    values[i][at] = text[: len(text) // 2]  # cut short: never valid JSON
    index, count = slot
    day_index = (day - date(2024, 1, 1)).days
    base = 5_000_000_000 + (day_index * count + index) * 1_000_000  # ~5.3e9 in 2025, like the live service
    size = len(rows.ts)
    jitter = np.frombuffer(rng.randbytes(size), dtype=np.uint8) & 1 if size else np.zeros(0, dtype=np.uint8)
    values[0] = base + 2 * np.arange(size, dtype=np.int64) + jitter
    names = rows.names.tolist()
    masks: dict[int, int] = {}
    for found in names:
        if id(found) not in masks:
            mask = 0
            for name in found:
                mask |= _BIT.get(name, 0)
            masks[id(found)] = mask
    columns = [column.tolist() for column in values]
    out = Day(
        day,
        list(zip(*columns, strict=True)) if size else [],
        rows.ts.tolist(),
        rows.combo.tolist(),
        [_BIT.get(name, 0) for name in rows.main.tolist()],
        [masks[id(found)] for found in names],
        rows.active.tolist(),
        names,
    )
    out.cache[COLUMNS_KEY] = columns  # the renderer's input, dropped once the CSV is rendered
    return out
