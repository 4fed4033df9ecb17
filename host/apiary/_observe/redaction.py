"""Keep credentials out of every log line.

``redact`` is a structlog processor. It runs last before rendering, on
structlog events and on records from the standard ``logging`` module alike,
and removes:

- the values of credential-like keys anywhere in the event (``auth``,
  ``Authorization``, ``Cookie``, ``X-Api-Key``, ``password``...);
- the values of secret-looking query parameters inside any string;
- any occurrence of a credential of the current call, wherever it appears
  (messages, exception text), as bound by ``bind_secrets``;
- any occurrence of a host-resolved credential of any call in flight
  (``share_secrets``): a record written from a thread that does not carry
  the call's context is scrubbed too.

``redact_record`` does the same to a standard ``logging`` record in place,
for the host's own loggers whatever handlers the application installed;
``scrub_data`` takes host-resolved credentials out of a call's result.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import re
import threading
import traceback
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"

_SECRET_NAME = r"[\w.-]*(?:token|key|secret|passw(?:or)?d|pwd|signature|sig|auth|credential|session)[\w.-]*"
_SENSITIVE_KEY = re.compile(rf"(?i)^(?:{_SECRET_NAME}|cookie|set-cookie)$")
_SECRET_PARAM = re.compile(rf"(?i)([?&;]{_SECRET_NAME}=)[^&#\s\"']*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")

# Keys whose values are about credentials but are not secrets themselves.
_SAFE_KEYS = frozenset({"auth_type", "keyword", "key_count"})

_MIN_SECRET_LENGTH = 4
_call_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("apiary_call_secrets", default=())


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """``(key, text)`` of every string or number leaf of an auth structure,
    ``key`` being the name it sits under (``auth_type`` and the like skipped)."""
    if isinstance(value, Mapping):
        for inner_key, inner in value.items():
            yield from _leaves(inner, str(inner_key))
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _leaves(inner, key)
    elif isinstance(value, (str, int)) and not isinstance(value, bool) and key not in _SAFE_KEYS:
        yield key, str(value)


def _longest_first(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values), key=len, reverse=True))


def secret_values(auth: Any) -> tuple[str, ...]:
    """Every string leaf of an auth structure that is long enough to be a
    secret (``auth_type`` excepted), longest first."""
    if not auth:
        return ()
    return _longest_first(text for _, text in _leaves(auth) if len(text) >= _MIN_SECRET_LENGTH)


_LONG_SECRET = 16


def credential_values(auth: Any) -> tuple[str, ...]:
    """The values of an auth structure that are credentials beyond doubt,
    longest first: those under credential-like keys (``access_token``,
    ``api_key``, ``password``...) and any other of 16 characters or more.
    Short values under other keys (``token_type = "Bearer"``, a scope, a
    region) are left out: these are scrubbed from results and from every
    log line of the process, where a common word must not turn into
    ``[redacted]``."""
    if not auth:
        return ()
    return _longest_first(
        text
        for key, text in _leaves(auth)
        if len(text) >= _LONG_SECRET or (len(text) >= _MIN_SECRET_LENGTH and _is_sensitive(key))
    )


def bind_secrets(secrets: Iterable[str]) -> contextvars.Token[tuple[str, ...]]:
    """Make ``secrets`` redacted from every log line of the current context."""
    return _call_secrets.set(tuple(secrets))


def reset_secrets(token: contextvars.Token[tuple[str, ...]]) -> None:
    """Undo the ``bind_secrets`` that returned ``token``."""
    _call_secrets.reset(token)


# Host-resolved secrets of the calls in flight, whatever thread logs: how
# many calls use each, and the values longest first (replaced whole on a
# change, so readers in any thread iterate a stable tuple without a lock).
_shared_counts: dict[str, int] = {}
_shared: tuple[str, ...] = ()
_shared_lock = threading.Lock()


def share_secrets(secrets: tuple[str, ...]) -> None:
    """Redact ``secrets`` from every log line of the process until
    ``withdraw_secrets(secrets)``; calls sharing a secret count it once each."""
    global _shared
    if not secrets:
        return
    with _shared_lock:
        changed = False
        for secret in secrets:
            count = _shared_counts.get(secret, 0)
            _shared_counts[secret] = count + 1
            changed = changed or count == 0
        if changed:
            _shared = tuple(sorted(_shared_counts, key=len, reverse=True))


def withdraw_secrets(secrets: tuple[str, ...]) -> None:
    """Undo one ``share_secrets(secrets)``."""
    global _shared
    if not secrets:
        return
    with _shared_lock:
        changed = False
        for secret in secrets:
            count = _shared_counts.get(secret, 0) - 1
            if count > 0:
                _shared_counts[secret] = count
            elif secret in _shared_counts:
                del _shared_counts[secret]
                changed = True
        if changed:
            _shared = tuple(sorted(_shared_counts, key=len, reverse=True))


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without known secrets, bearer/basic credentials and secret
    query parameters."""
    for secret in (*secrets, *_call_secrets.get(), *_shared):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "=" in text:
        text = _SECRET_PARAM.sub(rf"\1{REDACTED}", text)
    return _BEARER.sub(rf"\1 {REDACTED}", text) if " " in text else text


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if _is_sensitive(key) else _clean(inner))
            for key, inner in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(inner) for inner in value]
    # Anything else is rendered as text by the log renderer: scrub that text.
    if isinstance(value, (bytes, bytearray)):
        return scrub_text(bytes(value).decode("utf-8", errors="replace"))
    return scrub_text(str(value))


def _is_sensitive(key: Any) -> bool:
    return isinstance(key, str) and key not in _SAFE_KEYS and bool(_SENSITIVE_KEY.match(key))


def redact(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: remove credentials from ``event_dict``."""
    for key, value in list(event_dict.items()):
        if _is_sensitive(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _clean(value)
    return event_dict


# The attributes every LogRecord has; anything else came in through ``extra``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact_record(record: logging.LogRecord) -> None:
    """Remove credentials from a ``logging`` record in place, whatever
    formatter renders it next: the message is formatted and scrubbed, the
    exception becomes scrubbed text (``exc_text``; the traceback object is
    dropped, since a formatter would render it afresh), ``extra`` fields are
    redacted like event fields."""
    if isinstance(record.msg, dict) and not record.args:  # a structlog event sent through logging
        record.msg = redact(None, record.levelname.lower(), dict(record.msg))
    else:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it, with nothing of ours
            return
        record.msg, record.args = scrub_text(message), None
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_info = None
    if record.exc_text:
        record.exc_text = scrub_text(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub_text(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _RECORD_FIELDS:
            setattr(record, key, REDACTED if _is_sensitive(key) else _clean(value))


def scrub_data(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (a result: dataclasses, dicts, lists, strings) with every
    occurrence of ``secrets`` in its strings replaced; parts without one are
    returned as they are, not copied."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        changed = False
        items = []
        for key, inner in value.items():
            new_key, new = scrub_data(key, secrets), scrub_data(inner, secrets)
            changed = changed or new_key is not key or new is not inner
            items.append((new_key, new))
        return dict(items) if changed else value
    if isinstance(value, (list, tuple)):
        scrubbed = [scrub_data(inner, secrets) for inner in value]
        if all(new is old for new, old in zip(scrubbed, value, strict=True)):
            return value
        return scrubbed if isinstance(value, list) else tuple(scrubbed)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            inner = getattr(value, field.name)
            new = scrub_data(inner, secrets)
            if new is not inner:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
