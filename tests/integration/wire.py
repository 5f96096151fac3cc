"""Reading the simulator's wire format with the standard library only (no library code): a helper, not a test module."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from digitalcx_frames.schema import API_COLUMN_NAMES

__all__ = ["parse_csv"]


def parse_csv(body: bytes, delimiter: str = ",") -> tuple[list[str], list[dict[str, object]]]:
    """Header and rows of a CSV body, typed like ``Simulator.expected_rows``."""
    text = body.decode("utf-8").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    rows = []
    for fields in reader:
        assert len(fields) == len(header)
        row: dict[str, object] = dict(zip(API_COLUMN_NAMES, fields, strict=True))
        row["LogId"] = int(fields[0])
        assert fields[4] in ("True", "False")
        row["SessionIsActive"] = fields[4] == "True"
        for name in ("TimestampStart", "TimestampEnd"):
            text_value = str(row[name])
            assert len(text_value) == 24, text_value
            assert text_value.endswith("Z"), text_value
            row[name] = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
        row["AllInteractionTypes"] = json.loads(str(row["AllInteractionTypes"]))
        quality = str(row["RecognitionQuality"])
        row["RecognitionQuality"] = float(quality) if quality else None
        rows.append(row)
    return header, rows
