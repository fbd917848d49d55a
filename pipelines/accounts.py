"""The CVCRM accounts this installation loads, from configuration only.

One account (the usual case): ``[sources.cvdw]`` holds its address and credentials, it loads into
the dataset ``raw`` with the dlt pipeline ``cvdw``, and the marts call it ``default`` (or
``[sources.cvdw] conta``).

Many accounts: one section each, ``[sources.cvdw.accounts.<conta>]`` (or
``SOURCES__CVDW__ACCOUNTS__<CONTA>__BASE_URL`` and so on), with the keys of ``[sources.cvdw]``.
Account ``<conta>`` loads into ``raw_<conta>`` with the pipeline ``cvdw_<conta>``: its own dataset,
state and lock, because dlt loses and duplicates rows when many pipelines share one dataset
(dlt-hub/dlt#4297). The address and credentials are the account's own; any other key it does
not set (``requests_per_minute``, ``page_size``, ``personal_data``...) comes from
``[sources.cvdw]``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import dlt

SECTION = "sources.cvdw"
ENV_PREFIX = "SOURCES__CVDW__ACCOUNTS__"
# Never taken from [sources.cvdw] for an account: it would load another account's data.
OWN_KEYS = ("base_url", "subdomain", "email", "token")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SINGLE = "default"


class AccountError(ValueError):
    """An account name that is not configured or not valid; the message says which exist."""


@dataclass(frozen=True)
class Account:
    name: str  # the marts' `conta`
    many: bool = False  # one of several `[sources.cvdw.accounts.*]`

    @property
    def section(self) -> str:
        return f"{SECTION}.accounts.{self.name}" if self.many else SECTION

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}" if self.many else "raw"

    @property
    def pipeline_name(self) -> str:
        return f"cvdw_{self.name}" if self.many else "cvdw"

    def value(self, key: str, secret: bool = False):
        """The account's setting ``key``; for an account of several, the shared
        ``[sources.cvdw]`` one when it sets none (never for the address and credentials)."""
        accessor = dlt.secrets if secret else dlt.config
        found = accessor.get(f"{self.section}.{key}")
        if found is None and self.many and key not in OWN_KEYS:
            found = accessor.get(f"{SECTION}.{key}")
        return found


def configured() -> list[Account]:
    """Every configured account, by name; the single ``[sources.cvdw]`` one when none is."""
    names = set(_names_in_files()) | {key.removeprefix(ENV_PREFIX).split("__")[0].lower()
                                      for key in os.environ if key.startswith(ENV_PREFIX)}
    bad = sorted(n for n in names if not NAME.match(n))
    if bad:
        raise AccountError(f"account names must be lower-case letters, digits and _ (starting "
                           f"with a letter): rename {', '.join(bad)}")
    if not names:
        return [Account(str(dlt.config.get(f"{SECTION}.conta") or SINGLE))]
    return [Account(name, many=True) for name in sorted(names)]


def dbt_vars(accounts: list[Account]) -> list[str]:
    """dbt's ``--vars`` for these accounts: the raw schema of each (``cvdw_accounts``), which
    staging unions (``dbt_project/macros/cvdw_source.sql``)."""
    return ["--vars", json.dumps({"cvdw_accounts": {a.name: a.dataset for a in accounts}})]


def named(name: str) -> Account:
    """The configured account ``name`` (``--account``)."""
    accounts = configured()
    for account in accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in accounts)
    raise AccountError(f"no account '{name}' is configured (configured: {known}); add a "
                       f"[sources.cvdw.accounts.{name}] section to .dlt/secrets.toml")


def _names_in_files() -> list[str]:
    """The account sections in the toml files (dlt cannot list environment sections)."""
    names: list[str] = []
    for accessor in (dlt.config, dlt.secrets):
        section = accessor.get(f"{SECTION}.accounts")
        if hasattr(section, "keys"):
            names += [str(n) for n in section.keys()]
    return names
