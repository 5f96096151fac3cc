"""ParseError says where the bad bytes came from: an API response (retry) or a local file (check it)."""

from __future__ import annotations

import pickle

from digitalcx_frames.errors import ParseError


def test_a_local_file_is_named_without_retry_advice_and_survives_pickling() -> None:
    error = ParseError("it lacks the required column(s) LogId", line=1, file="week.csv")
    text = str(error)
    assert "week.csv" in text
    assert "retry" not in text
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == text
    assert (clone.file, clone.line, clone.message) == ("week.csv", 1, error.message)


def test_an_api_response_advises_a_retry() -> None:
    error = ParseError("bad header", window="2026-11-19T00:00:00Z/2026-11-20T00:00:00Z", page=2)
    assert "retry" in str(error)
    assert error.file is None
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
