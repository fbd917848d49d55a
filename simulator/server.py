"""HTTP front of the simulator: CVDW's routes, auth, paging, limits and faults.

The behaviour follows /work/shared/cvdw-api.md, quirks included (``registros``
echoes the requested page size, zero dates give 400, 429 body without a
``code``...). Faults and mid-walk edits can be injected so that the pipeline's
retry, pacing and cursor logic can be tested against something that bites.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from pipelines.cvdw_source import catalogue

from .world import PATHS, World

# Every documented path answers, like a real account: those the world does not simulate are empty.
ROUTES = set(PATHS) | set(catalogue.paths())

PREFIX = "/api/v1/cvdw/"
FAULT_KINDS = {"500", "502", "503", "504", "422", "429", "timeout", "truncated"}
_GATEWAY = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}


class RequestRecord(NamedTuple):
    """One received request, for tests that count calls or check pacing."""

    time: float
    path: str
    params: dict
    status: int


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: dict
    truncated: bool = False


class BadParam(Exception):
    """A parameter the real API would answer with HTTP 400."""


# Compact like PHP's json_encode (CVCRM is PHP), UTF-8 text unescaped.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(status: int, obj: Any, headers: dict | None = None, truncated: bool = False) -> Reply:
    body = _ENCODER.encode(obj).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Reply(status, body, hdrs, truncated)


def _error(status: int, message: str) -> Reply:
    return _json(status, {"error": message, "code": status})


def _gateway(status: int) -> Reply:
    """Proxy errors come as HTML, not JSON, like from a real load balancer."""
    text = f"<html><body><h1>{status} {_GATEWAY[status]}</h1></body></html>"
    return Reply(status, text.encode(), {"Content-Type": "text/html"})


def parse_date(name: str, value: Any, upper: bool) -> str:
    """Normalise a date parameter to ``YYYY-MM-DD HH:MM:SS`` or raise BadParam.

    Date-only values are accepted; as an upper bound they mean end of day.
    """
    text = str(value).strip()
    try:
        if len(text) == 10:
            datetime.strptime(text, "%Y-%m-%d")
            return text + (" 23:59:59" if upper else " 00:00:00")
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        return text
    except ValueError:
        raise BadParam(f"O campo {name} não é válido") from None


def _positive_int(value: Any) -> int:
    n = int(str(value).strip())
    if n < 1:
        raise ValueError(value)
    return n


class RateLimiter:
    """Sliding window per account; going over blocks the account.

    Every received request counts, including those answered 429, because the
    real limit is on what the account sends.
    """

    def __init__(self, limit: int, window: float, block: float) -> None:
        self.limit, self.window, self.block = limit, window, block
        self._hits: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float) -> float | None:
        """None when allowed, else the seconds the account stays blocked."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            until = self._blocked.get(key, 0.0)
            full = len(hits) >= self.limit
            hits.append(now)
            if until > now:
                return until - now
            if full:
                self._blocked[key] = now + self.block
                return self.block
            return None


class Simulator:
    """The CVDW API over HTTP on localhost, served from a daemon thread."""

    def __init__(self, world: World, *, email: str = "demo@cvdw.local",
                 token: str = "demo-token", requests_per_window: int = 20,
                 window_seconds: float = 60.0, block_seconds: float | None = None,
                 retry_after: bool = False, page_cap: int = 500,
                 host: str = "127.0.0.1", port: int = 0, slow_seconds: float = 5.0) -> None:
        self.world, self.email, self.token = world, email, token
        self.block_seconds = window_seconds if block_seconds is None else block_seconds
        self.limiter = RateLimiter(requests_per_window, window_seconds, self.block_seconds)
        self.retry_after, self.page_cap = retry_after, page_cap
        self.host, self.port, self.slow_seconds = host, port, slow_seconds
        self.forbidden_paths: set[str] = set()
        self.refuse_credentials = False
        self.requests: list[RequestRecord] = []
        self._faults: list[list[Any]] = []
        self._editing: dict[str, int] = {}
        self._lock = threading.Lock()        # world access
        self._state = threading.Lock()       # log, faults, editing
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/cvdw"

    def start(self) -> Simulator:
        """Bind (port 0 picks a free one) and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"sim": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="cvdw-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------- controls
    def fail_next(self, count: int = 1, kind: str = "503", path: str | None = None) -> None:
        """Queue ``count`` faults of ``kind`` for the next (matching) requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._state:
            self._faults.append([kind, path, count])

    def edit_while_paging(self, path: str, per_request: int = 1) -> None:
        """Before each later request on ``path``, edit its oldest rows."""
        with self._state:
            self._editing[path] = per_request

    def stop_editing(self) -> None:
        with self._state:
            self._editing.clear()

    def reset_log(self) -> None:
        with self._state:
            self.requests.clear()

    def _take_fault(self, path: str) -> str | None:
        with self._state:
            for fault in self._faults:
                if fault[1] is None or fault[1] == path:
                    fault[2] -= 1
                    if fault[2] <= 0:
                        self._faults.remove(fault)
                    return fault[0]
        return None

    def _log(self, t: float, path: str, params: dict, status: int) -> None:
        with self._state:
            self.requests.append(RequestRecord(t, path, params, status))

    # -------------------------------------------------------------- serving
    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        """Answer one request; also records it in :attr:`requests`."""
        arrived = time.monotonic()
        url = urlsplit(target)
        path = url.path[len(PREFIX):].strip("/") if url.path.startswith(PREFIX) else url.path
        params = self._params(url.query, body)
        reply = self._answer(method, url.path, path, headers, params, arrived)
        self._log(arrived, path, params, reply.status)
        return reply

    @staticmethod
    def _params(query: str, body: bytes) -> dict:
        """Query string, or a JSON body on the GET as an older client sends."""
        params: dict[str, Any] = {}
        if body.strip():
            try:
                data = json.loads(body)
                if isinstance(data, dict):
                    params.update(data)
            except ValueError:
                pass
        params.update(parse_qsl(query, keep_blank_values=True))
        return params

    def _answer(self, method: str, url_path: str, path: str, headers: Any,
                params: dict, arrived: float) -> Reply:
        if not url_path.startswith(PREFIX) or path not in ROUTES:
            return _error(404, "Rota não encontrada")
        if method != "GET":
            return _error(405, "Método não permitido")
        email = headers.get("email")
        if self.refuse_credentials or email != self.email or headers.get("token") != self.token:
            return _error(401, "E-mail e/ou token incorreto(s).")
        blocked = self.limiter.check(email, arrived)
        if blocked is not None:
            return self._too_many(blocked)
        fault = self._take_fault(path)
        if fault == "timeout":
            time.sleep(self.slow_seconds)
        elif fault is not None and fault != "truncated":
            return self._fault_reply(fault, path)
        if path in self.forbidden_paths:
            return _error(403, "Permissão de acesso desabilitada")
        try:
            reply = self._page(path, params)
        except BadParam as exc:
            return _error(400, str(exc))
        return reply._replace(truncated=fault == "truncated")

    def _too_many(self, seconds: float) -> Reply:
        headers = {"Retry-After": str(math.ceil(seconds))} if self.retry_after else {}
        return _json(429, {"Response": "Too many requests"}, headers)

    def _fault_reply(self, kind: str, path: str) -> Reply:
        if kind == "429":
            return self._too_many(self.block_seconds)
        if kind == "422":
            return _error(422, f"Erro inesperado na API de {path}, por favor entre em "
                               "contato com o suporte técnico.")
        if kind == "500":
            return _error(500, "Internal Server Error")
        return _gateway(int(kind))

    def _page(self, path: str, params: dict) -> Reply:
        """The success envelope for one page."""
        try:
            page = _positive_int(params["pagina"])
            size = _positive_int(params.get("registros_por_pagina", 30))
        except (KeyError, ValueError):
            raise BadParam(f"Erro de solicitação da API de {path}, revise os parâmetros!") from None
        size = min(size, self.page_cap)
        lo = hi = None
        if params.get("a_partir_data_referencia") not in (None, ""):
            lo = parse_date("a_partir_data_referencia", params["a_partir_data_referencia"], False)
        if params.get("ate_data_referencia") not in (None, ""):
            hi = parse_date("ate_data_referencia", params["ate_data_referencia"], True)
        with self._state:
            per_request = self._editing.get(path, 0)
        with self._lock:
            if per_request:
                self.world.touch_oldest(path, per_request)
            total, rows = (self.world.page(path, lo, hi, (page - 1) * size, size)
                           if path in PATHS else (0, []))
        return _json(200, {"pagina": page, "registros": size, "total_de_registros": total,
                           "total_de_paginas": math.ceil(total / size), "dados": rows})


class _Server(ThreadingHTTPServer):
    """Quiet about clients that hang up (timeouts and truncation provoke it)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Thin adapter from http.server to :meth:`Simulator.handle`."""

    sim: Simulator
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.sim.handle(self.command, self.path, self.headers, body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.truncated:
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.truncated:
            self.wfile.write(reply.body[:len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence per-request logging; :attr:`Simulator.requests` has it."""
