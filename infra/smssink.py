"""Dev SMS and phone gateway sink: the HTTP gateway of `notices.channels.HttpGateway`, on
127.0.0.1, keeping every message as a file, as `infra.mailsink` keeps e-mail.

`POST /messages` with the gateway's JSON (`{"type": "sms" | "phone", "to", "text",
"reference"}` and an `Idempotency-Key` header) becomes `<UTC time>-<type>-<random>.txt` in the
folder (default `data/sms/`): a few header lines (type, recipient, reference, time), a blank
line, then the text the person would get. Each message is also one JSON line in
`messages.jsonl`. The answer is `{"id": ...}`; a request repeating an idempotency key the sink
has already kept gets the same id and is not kept twice (as a real gateway does).

    python -m infra.smssink [--host 127.0.0.1] [--port 8026] [--folder data/sms]

In-process (the dev launcher, tests):

    sink = SmsSink(folder, port=0)   # 0: any free port, see `sink.url` after start()
    sink.start(); ...; sink.messages(); sink.stop()

The server is the standard library's threading HTTP server in its own thread, so `start()`
and `stop()` are plain blocking calls that can be made from anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.config import Settings
from infra.sinks import Sink, serve

DEFAULT_PORT = 8026
PATH = "/messages"
MAX_BODY = 64 * 1024
KINDS = ("sms", "phone")


def default_folder() -> Path:
    return Settings.from_env().data_dir / "sms"


class _Store:
    """Keeps messages in the folder; one lock, so the file and the index agree."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}  # idempotency key -> id

    def keep(self, message: dict[str, str], key: str | None) -> str:
        with self._lock:
            if key and key in self._seen:
                return self._seen[key]
            now = datetime.now(UTC)
            message_id = f"sink-{uuid.uuid4().hex[:12]}"
            name = f"{now:%Y%m%dT%H%M%S.%fZ}-{message['type']}-{message_id[5:13]}.txt"
            head = (
                f"Type: {message['type']}\nTo: {message['to']}\n"
                f"Reference: {message.get('reference', '')}\n"
                f"Received: {now.isoformat(timespec='seconds')}\nId: {message_id}\n\n"
            )
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_text(head + message["text"] + "\n", encoding="utf-8")
            line = {"id": message_id, "received_at": now.isoformat(), "file": name} | message
            with (self.folder / "messages.jsonl").open("a", encoding="utf-8") as index:
                index.write(json.dumps(line, ensure_ascii=False) + "\n")
            if key:
                self._seen[key] = message_id
            return message_id


def _handler(store: _Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "complaints-smssink"

        def do_POST(self) -> None:
            if self.path != PATH:
                return self._answer(HTTPStatus.NOT_FOUND, {"error": f"POST {PATH} only"})
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                return self._answer(HTTPStatus.BAD_REQUEST, {"error": "Content-Length"})
            try:
                data: Any = json.loads(self.rfile.read(int(length)))
            except ValueError:
                return self._answer(HTTPStatus.BAD_REQUEST, {"error": "not JSON"})
            problem = _problem(data)
            if problem:
                return self._answer(HTTPStatus.BAD_REQUEST, {"error": problem})
            message = {k: str(data[k]) for k in ("type", "to", "text", "reference") if k in data}
            message_id = store.keep(message, self.headers.get("Idempotency-Key"))
            self._answer(HTTPStatus.OK, {"id": message_id})

        def _answer(self, status: HTTPStatus, body: dict[str, str]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the files are the record; no line per message on the launcher's console

    return Handler


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "a JSON object is expected"
    if data.get("type") not in KINDS:
        return f"type must be one of {', '.join(KINDS)}"
    for field in ("to", "text"):
        if not isinstance(data.get(field), str) or not data[field]:
            return f"{field} is required"
    return None


class SmsSink(Sink):
    def __init__(
        self, folder: Path | str | None = None, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT
    ) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.host = host
        self.port = port
        self._store = _Store(self.folder)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the gateway adapter sends (`COMPLAINTS_SMS_GATEWAY_URL`)."""
        return f"http://{self.host}:{self.port}{PATH}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("sms sink already running")
        self.folder.mkdir(parents=True, exist_ok=True)
        server = ThreadingHTTPServer((self.host, self.port), _handler(self._store))
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(target=server.serve_forever, name="smssink", daemon=True)
        self._thread.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def where(self) -> str:
        return self.url

    @property
    def running(self) -> bool:
        return self._server is not None

    def messages(self) -> list[dict[str, Any]]:
        """Every message kept, oldest first (from `messages.jsonl`)."""
        index = self.folder / "messages.jsonl"
        if not index.exists():
            return []
        lines = index.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.smssink",
        description="Dev SMS/phone gateway sink: keeps messages as text files.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--folder", type=Path, default=None, help="default: <data dir>/sms")
    args = parser.parse_args(argv)

    sink = SmsSink(args.folder, host=args.host, port=args.port)
    return serve(sink, "sms sink", sink.folder)


if __name__ == "__main__":
    sys.exit(main())
