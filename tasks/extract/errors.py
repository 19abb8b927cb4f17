"""The two ways reading a source can fail: retry it, or reject it with a reason."""

from __future__ import annotations


class TransientError(RuntimeError):
    """A failure worth retrying (network hiccup, HTTP 5xx/429, a lock held by another process)."""


class RejectedInput(ValueError):
    """A permanent failure: the input goes to ``rejects`` with ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
