"""HTTP client for CVDW: paced to the rate limit, retried on transient faults, clear on the rest.

API facts (``shared/cvdw-api.md``): ``GET {base}/{path}`` with ``email`` and ``token`` headers,
query parameters ``pagina``, ``registros_por_pagina`` (at most 500),
``a_partir_data_referencia`` and ``ate_data_referencia``; 20 requests per minute per account,
and going over blocks the account for about a minute.

* Pacing: a sliding window lets at most ``requests_per_minute`` requests reach CVDW in any
  window, so a normal run gets no 429 and still uses the whole allowance: it bursts, then waits
  exactly until the oldest request leaves the window. Every attempt, retries included, takes a
  slot, because the server counts them all.
* Retries (tenacity): timeouts, dropped or cut-off bodies, 5xx and 422 back off exponentially;
  a 429 waits out the block (``Retry-After`` when sent, else one window). After
  ``max_retry_seconds`` the client gives up with one line.
* A wrong address answers fast: until CVDW has answered once in this run, a host that does not
  resolve or refuses the connection gets only a short grace (a DNS hiccup) and then raises
  ``CVDWUnreachable`` naming the host. Once CVDW has answered, every failure is an outage and
  is retried for ``max_retry_seconds``.
* Errors that retrying cannot fix (400, 401, 403, 404, 405) raise ``CVDWError`` at once with a
  line that says what to check. The token only ever travels in a request header: it is never
  part of a URL, a log line or an exception message.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)
from urllib3.exceptions import NameResolutionError

logger = logging.getLogger("cvdw")

DATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_PAGE_SIZE = 500
# The grace for a host that never answered: enough for a DNS hiccup, short enough that a typo
# in the address is reported within the minute (4 attempts with the default backoff take 14 s).
UNREACHABLE_ATTEMPTS = 4
UNREACHABLE_GRACE_SECONDS = 20.0


class CVDWError(RuntimeError):
    """A failure the user must act on; the message is one line and holds no secret."""


class FatalCVDWError(CVDWError):
    """A failure that no other path can avoid either (credentials, address): stop the run."""


class CVDWUnreachable(FatalCVDWError):
    """The host never answered in this run: its name does not resolve or it refuses connections."""


class CVDWUnavailable(CVDWError):
    """CVDW kept failing (5xx, timeouts) for ``max_retry_seconds``: it is down, not wrong."""


class RetryableError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        # The address looks wrong (no such host, connection refused) and CVDW never answered.
        self.unreachable = unreachable


@dataclass
class Settings:
    """``[sources.cvdw]``: where CVDW is, who we are, how fast we may go."""

    base_url: str
    email: str
    token: str
    requests_per_minute: int = 20
    # The limit's window: 60 s on CVDW; tests and the demo compress it.
    rate_limit_window_seconds: float = 60.0
    page_size: int = MAX_PAGE_SIZE
    timeout_seconds: float = 60.0
    max_retry_seconds: float = 900.0
    backoff_seconds: float = 2.0
    # Date format of the filters; CVDW accepts both, one client claims the time part fails.
    date_format: str = DATE_TIME_FORMAT
    # Where these settings come from, for the errors that ask to fix them.
    section: str = "sources.cvdw"

    def __repr__(self) -> str:  # never show the token
        return f"Settings(base_url={self.base_url!r}, email={self.email!r}, token='***')"

    @property
    def rows_per_second(self) -> float:
        """The allowance: full pages at the limit's pace, the fastest any load can go."""
        return self.requests_per_minute * self.page_size / self.rate_limit_window_seconds


@dataclass
class Page:
    pagina: int
    total_rows: int
    total_pages: int
    rows: list[dict[str, Any]]


@dataclass
class ClientStats:
    requests: int = 0
    rate_limit_wait_seconds: float = 0.0
    rate_limited: int = 0  # 429s received
    retries: int = 0
    http_seconds: float = 0.0  # waiting for CVDW's answers


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds, as the server counts them.

    A request counts from the moment its answer arrived. The server stamped it earlier, so a
    full window after that moment is outside the server's window whatever the latency was; a
    fixed margin after sending (as generic limiters do) was too small when a page was slow to
    render, and a 429 blocks the account for a whole window.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._answered: deque[float] = deque()

    def wait(self) -> float:
        """Sleep until one more request fits; return the seconds slept."""
        if len(self._answered) < self.limit:
            return 0.0
        delay = max(0.0, self._answered.popleft() + self.window - time.monotonic())
        time.sleep(delay)
        return delay

    def answered(self) -> None:
        self._answered.append(time.monotonic())


@dataclass
class CVDWClient:
    settings: Settings
    stats: ClientStats = field(default_factory=ClientStats)

    def __post_init__(self) -> None:
        self._window = SlidingWindow(self.settings.requests_per_minute,
                                     self.settings.rate_limit_window_seconds)
        self._session = requests.Session()
        self._session.headers.update(
            {"email": self.settings.email, "token": self.settings.token, "Accept": "application/json"}
        )
        # Whether any HTTP response (any status) came back in this run: from then on the
        # address is known to be right, and a connection failure is an outage.
        self._answered = False

    def close(self) -> None:
        self._session.close()

    def url(self, path: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/{path}"

    def params(self, pagina: int, since: str | None, until: str | None,
               page_size: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "pagina": pagina,
            "registros_por_pagina": page_size or self.settings.page_size,
        }
        if since:
            params["a_partir_data_referencia"] = self.format_date(since)
        if until:
            params["ate_data_referencia"] = self.format_date(until)
        return params

    def format_date(self, moment: str) -> str:
        return _parse(moment).strftime(self.settings.date_format)

    def same_bound(self, a: str, b: str | None) -> bool:
        """Whether two moments are the same value for the date filter (a second, or a day)."""
        return b is not None and self.format_date(a) == self.format_date(b)

    def next_bound(self, moment: str) -> str:
        """The first moment the date filter can tell apart from ``moment``."""
        step = timedelta(seconds=1) if "%S" in self.settings.date_format else timedelta(days=1)
        start = datetime.strptime(self.format_date(moment), self.settings.date_format)
        return (start + step).strftime(DATE_TIME_FORMAT)

    def get_page(self, path: str, pagina: int = 1, since: str | None = None,
                 until: str | None = None, page_size: int | None = None) -> Page:
        """One page of ``path``, rows ascending by ``referencia_data``."""
        params = self.params(pagina, since, until, page_size)
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableError),
            wait=self._wait,
            stop=stop_after_delay(self.settings.max_retry_seconds) | self._stop_reaching,
            before_sleep=self._log_retry,
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._request(path, params)
        except RetryError as error:  # still failing at the deadline, or after the grace
            raise self._gave_up(path, error.last_attempt.exception()) from None
        raise AssertionError("unreachable")

    def _gave_up(self, path: str, last: BaseException | None) -> CVDWError:
        if isinstance(last, RetryableError) and last.unreachable:
            return CVDWUnreachable(
                f"cannot reach CVDW at {self.host()}: {last}; check [{self.settings.section}] "
                "subdomain or base_url"
            )
        return CVDWUnavailable(
            f"CVDW kept failing on '{path}' for {self.settings.max_retry_seconds:.0f} s "
            f"(last: {last}); the service may be down, try again later"
        )

    def host(self) -> str:
        """The host of ``base_url``, for messages (never userinfo, which could hold a secret)."""
        return urlsplit(self.settings.base_url).hostname or self.settings.base_url

    def port(self) -> int:
        parts = urlsplit(self.settings.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def _request(self, path: str, params: dict[str, Any]) -> Page:
        self.stats.rate_limit_wait_seconds += self._window.wait()
        self.stats.requests += 1
        started = time.monotonic()
        try:
            response = self._session.get(self.url(path), params=params,
                                         timeout=self.settings.timeout_seconds)
            self._answered = True
            body = response.content  # reads the whole body: a cut-off one raises here
        except requests.Timeout:  # a slow server is not a wrong address: never unreachable
            raise RetryableError("timeout") from None
        except requests.RequestException as error:
            raise self._connection_failed(error) from None
        finally:
            self._window.answered()
            self.stats.http_seconds += time.monotonic() - started
        self._raise_for_status(path, response)
        return _parse_page(path, body)

    def _raise_for_status(self, path: str, response: requests.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        message = _error_message(response)
        if status == 429:
            self.stats.rate_limited += 1
            retry_after = _retry_after(response) or self.settings.rate_limit_window_seconds
            raise RetryableError("HTTP 429 Too many requests", retry_after=retry_after)
        if status == 422 or status >= 500:
            raise RetryableError(f"HTTP {status} {message}".strip())
        where = self.url(path)
        if status == 401:
            raise FatalCVDWError(
                f"CVDW refused the credentials (HTTP 401: {message or 'unauthorized'}): check "
                f"[{self.settings.section}] email and token, and the subdomain (a wrong one can also "
                "give 401)"
            )
        if status == 403:
            raise CVDWError(
                f"CVDW denied access to '{path}' (HTTP 403: {message or 'forbidden'}): enable "
                "CVDW for this user's profile in CVCRM, or leave the path out with --endpoints"
            )
        if status in (404, 405):
            raise FatalCVDWError(
                f"CVDW has no route {where} (HTTP {status}): check [{self.settings.section}] subdomain or "
                "base_url"
            )
        if status == 400:
            raise CVDWError(
                f"CVDW rejected the parameters for '{path}' (HTTP 400: {message}): check "
                f"--start-date and [{self.settings.section}] date_format"
            )
        raise CVDWError(f"CVDW answered HTTP {status} on '{path}': {message}")

    def _connection_failed(self, error: requests.RequestException) -> RetryableError:
        why = _wrong_address(error, self.port()) if not self._answered else None
        if why:
            return RetryableError(why, unreachable=True)
        return RetryableError(f"connection failed: {type(error).__name__}")

    def _stop_reaching(self, state: RetryCallState) -> bool:
        """Stop early on a host that never answered; ``max_retry_seconds`` is for outages."""
        error = state.outcome.exception() if state.outcome else None
        if not (isinstance(error, RetryableError) and error.unreachable):
            return False
        elapsed = (state.seconds_since_start or 0.0) + state.upcoming_sleep
        return state.attempt_number >= UNREACHABLE_ATTEMPTS or elapsed > UNREACHABLE_GRACE_SECONDS

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            # The account is blocked: the limiter's window restarts after the block.
            return error.retry_after
        backoff = wait_exponential(multiplier=self.settings.backoff_seconds, max=60)
        return backoff(state)

    def _log_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        if isinstance(error, RetryableError) and error.retry_after is not None:
            self.stats.rate_limit_wait_seconds += wait
        logger.warning("CVDW: %s; retrying in %.1f s", error, wait)


def _wrong_address(error: requests.RequestException, port: int) -> str | None:
    """What says the address is wrong (no such host, nothing listening), or None.

    Read from the exception chain, not the message text: requests wraps urllib3's
    ``MaxRetryError``, whose ``reason`` wraps the socket error.
    """
    if not isinstance(error, requests.ConnectionError) or isinstance(
            error, requests.exceptions.ProxyError):  # a proxy's failure says nothing of CVDW
        return None
    for cause in _causes(error):
        if isinstance(cause, (socket.gaierror, NameResolutionError)):
            return "the host name does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            return f"the host refused the connection on port {port}"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps (in ``args``, ``reason``, cause or context)."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = (*current.args, getattr(current, "reason", None), current.__cause__,
                   current.__context__)
        pending.extend(e for e in wrapped if isinstance(e, BaseException))


def _parse(moment: str) -> datetime:
    if len(moment) == 10:
        return datetime.strptime(moment, "%Y-%m-%d")
    return datetime.strptime(moment[:19], DATE_TIME_FORMAT)


def _parse_page(path: str, body: bytes) -> Page:
    import json

    try:
        envelope = json.loads(body)
    except ValueError:
        raise RetryableError(f"malformed or cut-off JSON page from '{path}'") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("dados"), list):
        raise RetryableError(f"page from '{path}' has no 'dados' list")
    return Page(
        pagina=int(envelope.get("pagina") or 0),
        total_rows=int(envelope.get("total_de_registros") or 0),
        total_pages=int(envelope.get("total_de_paginas") or 0),
        rows=envelope["dados"],
    )


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("Response") or body.get("message") or "")[:200]
    return str(body)[:200]


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
