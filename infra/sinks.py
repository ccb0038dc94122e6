"""What the two development sinks (`infra.mailsink`, `infra.smssink`) share: a server started
and stopped by plain blocking calls, usable as a context manager, and a command line that
serves until SIGINT or SIGTERM. Never used in production, where the real SMTP server and SMS
gateway take the messages."""

from __future__ import annotations

import signal
import sys
import threading
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Self


class Sink(ABC):
    """A local server that keeps every message it receives as a file."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @property
    @abstractmethod
    def where(self) -> str:
        """Where it listens, as a person would type it."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(sink: Sink, name: str, folder: object) -> int:
    """Run `sink` until SIGINT or SIGTERM; 1 when it cannot listen."""
    try:
        sink.start()
    except OSError as err:
        print(f"{name}: cannot listen on {sink.where}: {err}", file=sys.stderr)
        return 1
    print(f"{name} listening on {sink.where}, writing to {folder}", flush=True)

    done = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        done.wait()
    finally:
        sink.stop()
    return 0
