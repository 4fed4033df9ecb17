"""Observing: what a call leaves behind for operators.

``logs`` is the one structured log pipeline (structlog and ``logging``
alike), ``redaction`` keeps credentials out of it, ``call_logging`` is the
built-in host plugin writing one event per call and per upstream request.
"""
