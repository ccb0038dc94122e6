"""Dev SMTP sink: accepts every message on 127.0.0.1 and keeps it as a `.eml` file.

Each message becomes `<UTC time>-<random>.eml` in the folder (default `data/mail/`), with the
envelope prepended as `X-Envelope-From` / `X-Envelope-To` headers, and one tab-separated line
in `index.txt`: time, envelope sender, recipients, Message-ID, subject, file name.

    python -m infra.mailsink [--host 127.0.0.1] [--port 8025] [--folder data/mail]

In-process (the dev launcher, tests):

    sink = MailSink(folder, port=0)   # 0: any free port, see `sink.port` after start()
    sink.start(); ...; sink.messages(); sink.stop()

The server runs in its own thread and event loop (aiosmtpd's `Controller`), so `start()` and
`stop()` are plain blocking calls that can be made from anywhere. Recipients listed in
`refuse` are rejected with `550 5.1.1` (to try out failure handling).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.config import Settings
from infra.sinks import Sink, serve

DEFAULT_PORT = 8025
SERVER_HOSTNAME = "complaints-mailsink"  # EHLO name; avoids a getfqdn() DNS lookup per start


def default_folder() -> Path:
    return Settings.from_env().data_dir / "mail"


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Handler:
    def __init__(self, folder: Path, refuse: Iterable[str]) -> None:
        self.folder = folder
        self.refuse = {address.lower() for address in refuse}

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # This loop belongs to the sink's own thread: a small blocking write is fine here,
        # and it serialises the appends to index.txt.
        name = self.store(envelope)
        return f"250 OK stored as {name}"

    def store(self, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not content:
            content = envelope.content
        mail_from = envelope.mail_from or ""
        rcpts = ", ".join(envelope.rcpt_tos)
        prefix = f"X-Envelope-From: <{mail_from}>\nX-Envelope-To: {rcpts}\n".encode()
        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}.eml"
        self.folder.mkdir(parents=True, exist_ok=True)
        # Stored with local (LF) line endings, as Maildir does; SMTP's CRLF is wire format.
        (self.folder / name).write_bytes(prefix + content.replace(b"\r\n", b"\n"))

        headers = BytesHeaderParser(policy=policy.default).parsebytes(content)
        line = "\t".join(
            _clean(str(v))
            for v in (
                now.isoformat(timespec="seconds"),
                mail_from,
                rcpts,
                headers.get("Message-ID", ""),
                headers.get("Subject", ""),
                name,
            )
        )
        with (self.folder / "index.txt").open("a", encoding="utf-8") as index:
            index.write(line + "\n")
        return name


class _Controller(Controller):
    """aiosmtpd's Controller, able to listen on port 0 (any free port).

    Its start() opens a test connection to `self.port` once the server is bound; with port 0
    that would go nowhere, so the bound port is read back first.
    """

    def _trigger_server(self) -> None:
        server = self.server
        if self.port == 0 and isinstance(server, asyncio.Server):
            self.port = int(server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


class MailSink(Sink):
    def __init__(
        self,
        folder: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        refuse: Iterable[str] = (),
    ) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.host = host
        self.port = port
        self._handler = _Handler(self.folder, refuse)
        self._controller: _Controller | None = None

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("mail sink already running")
        self.folder.mkdir(parents=True, exist_ok=True)
        controller = _Controller(
            self._handler, hostname=self.host, port=self.port, server_hostname=SERVER_HOSTNAME
        )
        controller.start()
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[EmailMessage]:
        """Every message in the folder, oldest first."""
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(path.read_bytes()) for path in sorted(self.folder.glob("*.eml"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.mailsink", description="Dev SMTP sink: keeps mail as .eml files."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--folder", type=Path, default=None, help="default: <data dir>/mail")
    args = parser.parse_args(argv)

    sink = MailSink(args.folder, host=args.host, port=args.port)
    return serve(sink, "mail sink", sink.folder)


if __name__ == "__main__":
    sys.exit(main())
