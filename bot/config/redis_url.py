"""What a Redis URL (QRINFO_REDIS_URL) must look like to be read as redis-py will read it:
checked at start, and said without quoting the URL (it may hold a password)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from pydantic import AfterValidator, SecretStr

from bot.environment import FROM_FILE

# Never a part of the URL: what did not parse there is often a piece of the password.
REDIS_URL_UNREADABLE = (
    "not a URL whose host, port, database, socket path and ?options can be read; a password "
    "holding / # ? @ & or % must be percent-encoded (/ as %2F, # as %23, ? as %3F, @ as %40, "
    "& as %26, % as %25), such as redis://:s%2F3cret@redis:6379/0"
)
# The ?options redis-py takes in a URL (anything else reaches its connection as an unknown
# argument, and fails there with a traceback naming it: perhaps a piece of a password).
_REDIS_URL_OPTIONS = frozenset(
    {
        "db",
        "password",
        "username",
        "client_name",
        "protocol",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_path",
        "ssl_certfile",
        "ssl_keyfile",
        "ssl_check_hostname",
        "ssl_min_version",
    }
)


_CERT_REQS = frozenset({"none", "optional", "required"})


def _redis_url_reads(url: str) -> bool:
    """Whether a redis://, rediss:// or unix:// URL parses into its parts as redis-py will
    read them (a password's unencoded "/", "#" or "?" moves the rest elsewhere)."""
    parts = urlsplit(url)
    options = parse_qs(parts.query, keep_blank_values=True)
    if parts.fragment or not set(options) <= _REDIS_URL_OPTIONS:
        return False
    tls = {name for name in options if name.startswith("ssl_")}
    if tls and parts.scheme != "rediss":  # redis-py takes them with TLS only
        return False
    if not {value.lower() for value in options.get("ssl_cert_reqs", [])} <= _CERT_REQS:
        return False
    if parts.scheme == "unix":  # unix://[[user]:password@]/path/to/redis.sock[?db=0]
        return parts.path.startswith("/") and "@" not in parts.path
    try:
        port = parts.port
    except ValueError:  # ":p@ss" read as a port
        return False
    database = parts.path.removeprefix("/")
    return (
        bool(parts.hostname)
        and (port is None or 1 <= port <= 65535)
        and (not database or (database.isascii() and database.isdigit()))
    )


def _redis_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    scheme = value.get_secret_value().partition("://")[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            "expected a redis://, rediss:// or unix:// URL such as redis://redis:6379/0"
        )
    if not _redis_url_reads(value.get_secret_value()):
        raise ValueError(REDIS_URL_UNREADABLE)
    return value


# A Redis URL: a secret (it may hold a password), which NAME_FILE may give too.
RedisUrl = Annotated[SecretStr | None, FROM_FILE, AfterValidator(_redis_url)]
