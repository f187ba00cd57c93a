"""Which handlers the worker runs. Domains add theirs here as they gain consumers."""

from __future__ import annotations

from tessera.config import Settings
from tessera.workers.runner import HandlerRegistry


def build_registry(settings: Settings) -> HandlerRegistry:
    return HandlerRegistry()
