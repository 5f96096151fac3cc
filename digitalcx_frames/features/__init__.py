"""Analysis tables from interaction logs: sessions, days, type flags, questions, feedback, KPIs.

Every function takes a frame with the columns of :func:`digitalcx_frames.read_interactions`
— a Polars ``DataFrame`` or ``LazyFrame``, or a pandas ``DataFrame`` (nullable dtypes from
``backend="pandas"``, or the float masks and plain strings of ``pl.DataFrame.to_pandas()``)
— and returns the same kind: a LazyFrame stays lazy, pandas comes back with nullable
dtypes (counts ``UInt32``, flags ``boolean``, text ``string``, categoricals ``category``).
A narwhals frame of one of these is accepted too (it is unwrapped with ``to_native`` and
the result wrapped back). The work is done by vectorised Polars expressions; the JSON
columns are decoded to their declared dtypes (:func:`decode_json`), keys matched
case-insensitively, and each function reads its source once.

The functions, by module:

- sessions: :func:`sessions`; days: :func:`daily_summary`; type flags: :func:`one_hot_types`
- questions: :func:`top_questions`; feedback: :func:`answer_feedback`
- JSON: :func:`decode_json`
- KPIs and drill-downs: :func:`kpis`, :func:`article_performance`, :func:`dialog_funnel`

A function needs only the columns it names; a frame may lack the others. An *optional*
column that is missing counts as all null. A *required* one that is missing raises
``ValueError``.

Terms used below:

- *user interaction*: a row whose main type is not Event or DataRetrieval.
- *answered interaction*: a row whose main type is not Event, DataRetrieval, Feedback or
  LinkClick and whose ``output_text`` is not empty.
- *question*: a row whose main type is QA or GenerativeAI; its question is
  ``interaction_value``.
- *feedback score* of a row: the sign of ``feedback_info``'s ``score`` (1 or -1); for a
  Feedback row without one, ``interaction_value`` ``yes`` → 1, ``no`` → -1.
- *target* of a Feedback or LinkClick row: ``originating_interaction_uuid``, else
  ``feedback_info``'s ``originatingInteractionId``.

Examples
--------
>>> import datetime as dt
>>> import polars as pl
>>> from digitalcx_frames import features
>>> t0 = dt.datetime(2026, 3, 25, 9, 30, tzinfo=dt.timezone.utc)
>>> logs = pl.DataFrame(
...     {
...         "log_id": [1, 2, 3],
...         "interaction_uuid": ["i1", "i2", "i3"],
...         "originating_interaction_uuid": [None, None, "i2"],
...         "session_uuid": ["s1", "s1", "s1"],
...         "timestamp_start": [t0, t0 + dt.timedelta(seconds=5), t0 + dt.timedelta(seconds=9)],
...         "main_interaction_type": ["Event", "QA", "Feedback"],
...         "all_interaction_types": [1, 2, 32],
...         "interaction_value": [None, "Opening hours?", "no"],
...         "output_text": ["Hi!", "We open at 9.", None],
...         "feedback_info": [None, None, '{"score": -1, "comment": "too short"}'],
...     }
... )
>>> features.sessions(logs).select("session_uuid", "interactions", "types", "first_question").row(0)
('s1', 3, 35, 'Opening hours?')
>>> features.answer_feedback(logs).select("interaction_uuid", "feedback_score", "feedback_comment").row(0)
('i2', -1, 'too short')

pandas in, pandas out, with nullable dtypes:

>>> table = features.sessions(logs.to_pandas())
>>> table[["interactions", "had_feedback", "mean_feedback_score"]].dtypes.astype(str).tolist()
['UInt32', 'boolean', 'Float64']
>>> table.loc[0, "mean_feedback_score"]
np.float64(-1.0)
"""

from digitalcx_frames.features._daily import daily_summary
from digitalcx_frames.features._drill import article_performance, dialog_funnel
from digitalcx_frames.features._feedback import answer_feedback
from digitalcx_frames.features._json import decode_json
from digitalcx_frames.features._kpis import kpis
from digitalcx_frames.features._onehot import one_hot_types
from digitalcx_frames.features._questions import top_questions
from digitalcx_frames.features._redact import redact
from digitalcx_frames.features._sessions import sessions

__all__ = [
    "answer_feedback",
    "article_performance",
    "daily_summary",
    "decode_json",
    "dialog_funnel",
    "kpis",
    "one_hot_types",
    "redact",
    "sessions",
    "top_questions",
]
