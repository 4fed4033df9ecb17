"""Keep credentials out of every log line.

``redact`` is a structlog processor. It runs last before rendering, on
structlog events and on records from the standard ``logging`` module alike,
and removes:

- the values of credential-like keys anywhere in the event (``auth``,
  ``Authorization``, ``Cookie``, ``X-Api-Key``, ``password``...);
- the values of secret-looking query parameters inside any string;
- any occurrence of a credential of the current call, wherever it appears
  (messages, exception text), as bound by ``bind_secrets``.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterable, Mapping, MutableMapping
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


def secret_values(auth: Any) -> tuple[str, ...]:
    """Every string leaf of an auth structure that is long enough to be a
    secret (``auth_type`` excepted), longest first."""
    if not auth:
        return ()
    found = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, Mapping):
            for inner_key, inner in value.items():
                walk(inner, str(inner_key))
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner, key)
        elif isinstance(value, (str, int)) and key not in _SAFE_KEYS:
            text = str(value)
            if len(text) >= _MIN_SECRET_LENGTH:
                found.add(text)

    walk(auth)
    return tuple(sorted(found, key=len, reverse=True))


def bind_secrets(secrets: Iterable[str]) -> contextvars.Token[tuple[str, ...]]:
    """Make ``secrets`` redacted from every log line of the current context."""
    return _call_secrets.set(tuple(secrets))


def reset_secrets(token: contextvars.Token[tuple[str, ...]]) -> None:
    """Undo the ``bind_secrets`` that returned ``token``."""
    _call_secrets.reset(token)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without known secrets, bearer/basic credentials and secret
    query parameters."""
    for secret in (*secrets, *_call_secrets.get()):
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
