"""The optional password gate: a PBKDF2 hash in Streamlit secrets (``[auth] password_hash``).

    python -m dashboard.auth        # asks for a password, prints the line for .streamlit/secrets.toml

Only the hash is stored; the password itself is never kept in the session or logged.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
import sys

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000


def hash_password(password: str, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"{ALGORITHM}${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; a malformed hash matches nothing."""
    try:
        algorithm, iterations, salt, _ = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        expected = hash_password(password, salt, int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(expected, stored)


def main() -> int:
    password = getpass.getpass("Senha do painel: ")
    if not password or password != getpass.getpass("Repita a senha: "):
        print("error: the passwords are empty or differ; nothing written", file=sys.stderr)
        return 2
    print("[auth]")
    print(f'password_hash = "{hash_password(password)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
