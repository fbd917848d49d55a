"""Alerts after a run: a chat webhook and/or an e-mail, configured in secrets.

Settings (``.dlt/secrets.toml`` or environment variables, as every other setting)::

    [alerts]
    on_success = false                # also send a summary when a run succeeds
    webhook_url = "https://hooks.slack.com/services/..."   # ALERTS__WEBHOOK_URL
    [alerts.smtp]
    host = "smtp.example.com"         # ALERTS__SMTP__HOST
    port = 587                        # 465 means implicit TLS
    starttls = true
    username = "alerts@example.com"
    password = "..."                  # ALERTS__SMTP__PASSWORD
    sender = "cvdw-elt <alerts@example.com>"
    to = "dados@example.com, ti@example.com"

The webhook body is ``{"text": ...}``, which Slack and Google Chat incoming webhooks and Teams
connector webhooks all accept. Texts pass through ``redact`` so no secret (CVDW token, database
password, SMTP password, webhook address) can reach a chat or a mailbox.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import dlt
import requests

from pipelines import warehouse

logger = logging.getLogger("cvdw.ops")


@dataclass
class Alert:
    subject: str
    text: str
    failed: bool
    always: bool = False  # send even on success (``--notify-success``)


KEYS = ("alerts.on_success", "alerts.webhook_url", "alerts.smtp.host", "alerts.smtp.port",
        "alerts.smtp.starttls", "alerts.smtp.username", "alerts.smtp.password", "alerts.smtp.sender",
        "alerts.smtp.to", "sources.cvdw.token")
_in_use: dict | None = None  # settings read ahead, for a signal handler (see ``use``)


def read_settings() -> dict:
    """Every setting an alert needs, read now."""
    return {key: _resolve(key) for key in KEYS}


def use(settings: dict) -> None:
    """Alert from ``settings`` read earlier: a SIGTERM handler must not re-enter dlt's
    configuration, which the run it interrupted may be in the middle of (a CI run lost its alert
    on SIGTERM, most likely so: ``setting`` takes a failing read for "not configured")."""
    global _in_use
    _in_use = settings


def setting(key: str, default=None):
    """A setting from secrets (toml or env), then from config, then ``default``."""
    value = _in_use[key] if _in_use is not None and key in _in_use else _resolve(key)
    return default if value in (None, "") else value


def _resolve(key: str):
    for accessor in (dlt.secrets, dlt.config):
        try:
            value = accessor.get(key)
        except Exception:  # a provider that cannot hold the key type
            value = None
        if value not in (None, ""):
            return value
    return None


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def secrets() -> list[str]:
    """Every secret value an alert or a log line must never contain."""
    values = [setting("sources.cvdw.token"), setting("alerts.smtp.password"),
              setting("alerts.webhook_url")]
    if not warehouse.is_embedded():  # the embedded server's fixed password is no secret
        values.append(warehouse.connection_params()["password"])
    return [str(v) for v in values if v and len(str(v)) >= 4]


def redact(text: str | None) -> str | None:
    if not text:
        return text
    for secret in secrets():
        text = text.replace(secret, "***")
    return text


def wanted(alert: Alert) -> bool:
    return alert.failed or alert.always or _flag(setting("alerts.on_success", False))


def send(alert: Alert) -> list[str]:
    """Send ``alert`` to every configured channel; returns the channels that took it.

    A channel that fails is logged and skipped: an alert problem never changes a run's result.
    """
    if not wanted(alert):
        return []
    alert = Alert(redact(alert.subject), redact(alert.text), alert.failed)
    sent = []
    for name, channel in (("webhook", _webhook), ("email", _email)):
        try:
            if channel(alert):
                sent.append(name)
        except Exception as error:  # noqa: BLE001 - any failure here is only logged
            logger.warning("alert by %s not sent: %s", name, redact(_one_line(error)))
    return sent


def _webhook(alert: Alert) -> bool:
    url = setting("alerts.webhook_url")
    if not url:
        return False
    try:
        response = requests.post(str(url), json={"text": f"*{alert.subject}*\n{alert.text}"},
                                 timeout=15)
    except requests.RequestException as error:  # its text holds the address, a secret
        raise RuntimeError(f"the webhook did not answer ({type(error).__name__})") from None
    if response.status_code >= 300:
        raise RuntimeError(f"the webhook answered HTTP {response.status_code}")
    return True


def _email(alert: Alert) -> bool:
    host = setting("alerts.smtp.host")
    if not host:
        return False
    port = int(setting("alerts.smtp.port", 587))
    recipients = [a.strip() for a in str(setting("alerts.smtp.to", "")).split(",") if a.strip()]
    if not recipients:
        raise RuntimeError("alerts.smtp.to is empty: name at least one recipient")
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = str(setting("alerts.smtp.sender", f"cvdw-elt <cvdw-elt@{host}>"))
    message["To"] = ", ".join(recipients)
    message.set_content(alert.text)
    smtp_class = smtplib.SMTP_SSL if port == 465 else smtplib.SMTP
    with smtp_class(str(host), port, timeout=20) as smtp:
        smtp.ehlo()
        if port != 465 and _flag(setting("alerts.smtp.starttls", True)) and smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        username = setting("alerts.smtp.username")
        if username:
            smtp.login(str(username), str(setting("alerts.smtp.password", "")))
        smtp.send_message(message)
    return True


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
