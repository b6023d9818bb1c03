"""docs/protocol.md's payload tables are the wire models': the test fails while they differ
(fix: `python -m server.wire --write`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import Field, create_model

from server import wire
from server.wire import doc

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"


def test_document_matches_the_models():
    problems = doc.diff(DOC.read_text(encoding="utf-8"))
    assert problems == "", "docs/protocol.md differs from server/wire; run `python -m server.wire --write`:\n" + problems


def test_every_table_is_in_the_document_once():
    found = doc.markers(DOC.read_text(encoding="utf-8"))
    assert sorted(found) == sorted(doc.TABLES)


def test_every_incoming_model_and_snapshot_has_a_table():
    documented = {model for model, _depth in doc.TABLES.values()}
    assert set(wire.INCOMING) <= documented
    for model in (wire.Called, wire.DisplaySnapshot, wire.BoardSnapshot, wire.CounterView, wire.RatingReceived,
                  wire.ErrorBody, wire.Version, *wire.ACKS.values()):
        if model is not wire.StatusAck:  # `{"ok": true}`, said in the prose
            assert model in documented, model


def test_every_field_has_a_description():
    for model, _depth in doc.TABLES.values():
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name}"


def test_a_changed_table_is_caught():
    text = DOC.read_text(encoding="utf-8")
    edited = text.replace("| `score` | integer | yes |  | 1 to 5 |", "| `score` | integer | yes |  | 1 to 10 |")
    assert edited != text
    problems = doc.diff(edited)
    assert "-| `score` | integer | yes |  | 1 to 10 |" in problems and "+| `score` | integer | yes |  | 1 to 5 |" in problems
    assert doc.render(edited) == text


def test_a_changed_model_is_caught(monkeypatch):
    text = DOC.read_text(encoding="utf-8")
    changed = create_model("Rating", __base__=wire.WireModel,
                           id=(str, Field(description="Idempotency key")),
                           score=(int, Field(ge=1, le=10, description="Score")))
    monkeypatch.setitem(doc.TABLES, "rating", (changed, 0))
    problems = doc.diff(text)
    assert "+| `score` | integer | yes |  | 1 to 10 | Score |" in problems
    assert "-| `age_ms` |" in problems


def test_a_missing_or_unknown_marker_is_caught():
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index("<!-- wire:status -->"), text.index("<!-- /wire:status -->") + len("<!-- /wire:status -->")
    assert "no table for status" in doc.diff(text[:start] + text[end:])
    assert "unknown wire markers nothing" in doc.diff(text + "\n<!-- wire:nothing -->\n<!-- /wire:nothing -->\n")


def test_cli_check_and_write(tmp_path):
    copy = tmp_path / "protocol.md"
    copy.write_text(DOC.read_text(encoding="utf-8").replace("| 1 to 5 |", "| 1 to 9 |"), encoding="utf-8")
    cmd = [sys.executable, "-m", "server.wire"]
    check = subprocess.run(cmd + ["--check", "--doc", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 1 and "+| `score` |" in check.stdout
    write = subprocess.run(cmd + ["--write", "--doc", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert write.returncode == 0, write.stderr
    assert copy.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    again = subprocess.run(cmd + ["--check", "--doc", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == ""
