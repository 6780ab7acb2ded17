"""Holding a thread at one line of a function, to run a race in a chosen order: the thread
is traced (``sys.settrace``); no function of the project is replaced."""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any


@dataclass
class Pause:
    """Where to stop (the first line of ``function`` containing ``line``, before it runs),
    whether a thread got there (``reached``), and what lets it go on (``go``)."""

    function: Callable[..., Any]
    line: str
    reached: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)

    def run(self, action: Callable[[], Any]) -> Callable[[], Any]:
        """``action``, stopping where this pause says in the thread that runs it."""
        code = getattr(self.function, "__func__", self.function).__code__
        lines, first = inspect.getsourcelines(code)
        target = next(first + i for i, text in enumerate(lines) if self.line in text)

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "line" and frame.f_lineno == target:
                self.reached.set()
                self.go.wait(timeout=10)
            return local

        def trace(frame: FrameType, event: str, arg: Any) -> Any:
            return local if frame.f_code is code else None

        def traced() -> Any:
            sys.settrace(trace)
            try:
                return action()
            finally:
                sys.settrace(None)

        return traced
