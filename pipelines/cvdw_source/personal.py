"""Personal data is kept out of the warehouse (LGPD): which CVDW fields identify a person, and
what the loader stores in their place, before dlt sees a row.

Which fields: those CVCRM's schemas flag (kept in ``catalogue.json``) and the wider list of
``shared/cvdw-api.md``: names of clients, leads and other people, CPF/CNPJ, RG, PIS, e-mail,
telephone, CEP and address, bank accounts, and the attributes income, age, sex, marital status
and birth date; ``unidades.situacao_nome`` is a person's name. Field names are matched by their
words (``cep_cliente``, ``gerente_email``, ``banco_cpf_titular``), so fields nobody documented
are caught too, and so are custom fields (``campos_adicionais``) labelled like them ("CPF do
cônjuge", "Renda familiar"). Brokers' and brokerages' names are not treated as personal:
rankings need them.

What is stored, by ``[sources.cvdw] personal_data``:

- ``hash`` (the default): identifiers become the HMAC-SHA256 of their normalised value under
  the secret ``personal_data_key``, so one person still joins across paths and runs, and the
  value cannot be recovered or guessed without the key. Attributes are dropped: a hash of "F"
  or of an age protects nothing, since the few possible values show through their frequency.
- ``drop``: every personal field is left out.
- ``keep``: stored as CVDW sends them (only with a legal basis and a need for it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import catalogue

MODES = ("hash", "drop", "keep")
MIN_KEY_LENGTH = 16

# A word of a field's name that makes it an identifier of a person.
IDENTIFIER_WORDS = {
    "documento", "cpf", "cnpj", "rg", "pis", "email", "telefone", "celular", "whatsapp",
    "cep", "logradouro", "endereco", "bairro", "complemento", "conta", "pix",
}
# Whole field names that hold a person's name.
NAME_FIELDS = {
    "cliente", "pessoa", "nome_cliente", "nome_lead", "lead_nome", "nome_favorecido", "banco_nome_titular",
    "nome_representante_pj", "gerente_nome", "diretor_nome", "representante_nome",
    "relacionamento_ppe_nome", "referencia_nome", "filiacao_pai", "filiacao_mae",
}
# ``nome`` is a person's name on these paths (elsewhere it names a unit, a team, a broker...).
PERSON_PATHS = {"leads", "leads/conversoes", "leads/ganhos", "leads/perdas", "pessoas",
                "reservas/associados", "campanhas_ativacao"}
PATH_NAME_FIELDS = {"unidades": {"situacao_nome"}}
# Words of attributes of a person: dropped unless kept.
ATTRIBUTE_WORDS = {"renda", "idade", "sexo", "nasc", "nascimento"}
# Keys of a custom field's label and value, in nested lists such as ``campos_adicionais``.
LABEL_KEYS, VALUE_KEY = ("nome", "nome_referencia"), "valor"


def words(name: str) -> list[str]:
    """``"CPF do Cônjuge"`` → ``["cpf", "do", "conjuge"]``; ``"cep_cliente"`` → ``["cep", "cliente"]``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


def kind(name: str, path: str | None = None) -> str | None:
    """``"identifier"``, ``"attribute"`` or None for a field (or custom-field label) name."""
    parts = words(name)
    joined = "_".join(parts)
    flagged = catalogue.paths().get(path or "", {}).get("personal", ())  # by CVCRM's schema
    if (joined in NAME_FIELDS or name in flagged or (joined == "nome" and path in PERSON_PATHS)
            or joined in PATH_NAME_FIELDS.get(path or "", ())
            or IDENTIFIER_WORDS.intersection(parts)):
        return "identifier"
    if "estado_civil" in joined or ATTRIBUTE_WORDS.intersection(parts):
        return "attribute"
    return None


def normalise(value: Any) -> str:
    """The form two spellings of one value share: digits of a document, CEP or phone written with
    or without punctuation; names and e-mails without case, accents or extra spaces."""
    text = " ".join(str(value).split())
    digits = re.sub(r"\D", "", text)
    if digits and not re.search(r"[A-Za-z@]", text):
        return digits
    return " ".join(words(text)) if "@" not in text else text.lower()


@dataclass(frozen=True)
class Privacy:
    """How personal fields are stored: ``mode`` is one of ``MODES``."""

    mode: str = "hash"
    key: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"personal_data = '{self.mode}' is not one of {', '.join(MODES)}")
        if self.mode == "hash" and len(self.key or "") < MIN_KEY_LENGTH:
            raise ValueError(
                "personal_data = 'hash' (the default) needs a secret key of at least "
                f"{MIN_KEY_LENGTH} characters: set personal_data_key under [sources.cvdw] in "
                ".dlt/secrets.toml or SOURCES__CVDW__PERSONAL_DATA_KEY (make one with "
                "`python -c \"import secrets; print(secrets.token_hex(32))\"`), and keep it: a new "
                "key gives every person a new hash; or set personal_data = 'drop'"
            )

    def __repr__(self) -> str:  # never show the key
        return f"Privacy(mode={self.mode!r}, key='***')"

    def pseudonym(self, value: Any) -> str:
        digest = hmac.new(str(self.key).encode(), normalise(value).encode(), hashlib.sha256)
        return digest.hexdigest()

    def protect(self, value: Any, kind_: str) -> tuple[bool, Any]:
        """(keep the field?, the value to store)."""
        if self.mode == "keep":
            return True, value
        if self.mode == "drop" or kind_ == "attribute":
            return False, None  # empty ones too, so the column is absent, not half there
        if value is None or value == "":
            return True, value  # nothing to hide; staging reads '' as null
        return True, self.pseudonym(value)

    def stored_type(self, name: str, path: str, data_type: str) -> str | None:
        """The type a declared column is stored with, or None when it is left out."""
        found = kind(name, path)
        if found is None or self.mode == "keep":
            return data_type
        return None if self.mode == "drop" or found == "attribute" else "text"

    def rows(self, path: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The map dlt applies to each row of ``path`` (``add_map``), before it normalises it."""
        if self.mode == "keep":
            return lambda row: row
        return lambda row: self._row(row, path)

    def _row(self, row: dict[str, Any], path: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in row.items():
            if isinstance(value, list):
                out[name] = [self._nested(item) if isinstance(item, dict) else item for item in value]
            elif (found := kind(name, path)) is None:
                out[name] = value
            else:
                keep, stored = self.protect(value, found)
                if keep:
                    out[name] = stored
        return out

    def _nested(self, item: dict[str, Any]) -> dict[str, Any]:
        """An item of a nested list: its own fields, and a custom field's value by its label."""
        label = next((item[k] for k in LABEL_KEYS if isinstance(item.get(k), str)), None)
        out = self._row({k: v for k, v in item.items() if k != VALUE_KEY}, None)
        if VALUE_KEY in item:
            found = kind(label) if label else None
            keep, stored = self.protect(item[VALUE_KEY], found) if found else (True, item[VALUE_KEY])
            if keep:
                out[VALUE_KEY] = stored
        return out
