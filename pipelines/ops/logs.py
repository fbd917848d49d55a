"""Logs for people (``HH:MM:SS message``, São Paulo time) or for machines (one JSON object per line).

The format comes from ``--log-format`` or the ``CVDW_LOG_FORMAT`` variable (``text``/``json``),
so a scheduler's environment can switch every command at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pipelines import clock

FORMATS = ("text", "json")
_state: dict[str, str] = {"format": "text"}

# Fields of every LogRecord: anything else was passed with ``extra=`` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if "account" in _state:
            entry["conta"] = _state["account"]
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False, default=str)


class SaoPauloFormatter(logging.Formatter):
    """Times for people in São Paulo, the zone of every other time we show (the expected end of
    a load, the dashboard), whatever the server's zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, clock.ZONE).strftime(datefmt or "%H:%M:%S")


def default_format() -> str:
    value = os.environ.get("CVDW_LOG_FORMAT", "text").lower()
    return value if value in FORMATS else "text"


def configure(fmt: str | None = None, level: int = logging.INFO) -> str:
    """Send every logger's records to stderr in ``fmt``; returns the format in use."""
    fmt = fmt or default_format()
    _state["format"] = fmt
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JSONFormatter())
        os.environ["RUNTIME__LOG_FORMAT"] = "JSON"  # dlt's own log lines, as JSON too
        _state["dlt_json"] = "set"
    else:
        if _state.pop("dlt_json", None):  # undo our own setting only, not an operator's
            os.environ.pop("RUNTIME__LOG_FORMAT", None)
        handler.setFormatter(SaoPauloFormatter(f"%(asctime)s {_prefix()}%(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_cvdw", False)]:
        root.removeHandler(old)
    handler._cvdw = True  # type: ignore[attr-defined]  # ours to replace on the next configure
    root.addHandler(handler)
    root.setLevel(level)
    return fmt


@contextmanager
def account_tag(name: str) -> Iterator[None]:
    """Mark every line with the account being loaded, one of several whose loads share a
    terminal or a scheduler's log (``[alfa]`` for people, ``"conta"`` in JSON), until the block
    ends."""
    previous = _state.get("account")
    _state["account"] = name
    configure(_state["format"])
    try:
        yield
    finally:
        if previous is None:
            _state.pop("account", None)
        else:
            _state["account"] = previous
        configure(_state["format"])


def _prefix() -> str:
    return f"[{_state['account']}] " if "account" in _state else ""


def is_json() -> bool:
    return _state["format"] == "json"


def say(logger: logging.Logger, line: str, *, error: bool = False, **fields) -> None:
    """A result line: printed as-is for people (stdout, or stderr for errors), a record in JSON."""
    if is_json():
        logger.log(logging.ERROR if error else logging.INFO, line, extra=fields)
    else:
        text = "\n".join(_prefix() + part for part in line.splitlines()) if _prefix() else line
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
