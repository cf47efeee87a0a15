"""What a Redis URL must look like (bot/config/redis_url.py): read as redis-py reads it,
refused without quoting it (it may hold a password)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.config import REDIS_URL_UNREADABLE, ConfigError, load_settings
from bot.config.redis_url import RedisUrl

URLS = TypeAdapter(RedisUrl)


@pytest.mark.parametrize(
    "url",
    [
        "redis://redis:6379/0",
        "redis://:p%2Fss%23@redis:6379/0",
        "REDIS://redis",
        "rediss://redis:6380/2?ssl_cert_reqs=Required",
        "unix:///run/redis.sock?db=1",
        "redis://redis/?socket_timeout=1&client_name=qrinfo",
    ],
)
def test_urls_redis_py_reads_as_written_are_taken(url: str) -> None:
    read = URLS.validate_python(url)
    assert read is not None
    assert read.get_secret_value() == url


def test_an_empty_url_means_no_redis() -> None:
    assert URLS.validate_python("") is None
    assert URLS.validate_python(None) is None


@pytest.mark.parametrize(
    "url",
    [
        "redis://:p/ss@redis:6379/0",  # "/" in the password: the rest is read as the path
        "redis://:p#ss@redis:6379/0",
        "redis://:secret@redis:99999/0",
        "redis://redis:6379/zero",
        "redis://redis:6379/0?secret=1",  # an option redis-py does not take
        "redis://redis:6379/0?ssl_certfile=x",  # TLS options without rediss://
        "rediss://redis/?ssl_cert_reqs=maybe",
        "unix://relative.sock",
        "redis://",
    ],
)
def test_urls_read_otherwise_are_refused_without_quoting_them(url: str) -> None:
    with pytest.raises(ValidationError, match="percent-encoded"):
        URLS.validate_python(url)
    with pytest.raises(ConfigError) as caught:
        load_settings(qrinfo_redis_url=url)
    assert str(caught.value) == f"QRINFO_REDIS_URL: {REDIS_URL_UNREADABLE}"


@pytest.mark.parametrize("url", ["http://redis:6379", "redis:6379", "postgres://x"])
def test_a_url_that_is_no_redis_url_says_which_schemes_are(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(qrinfo_redis_url=url)
    assert str(caught.value) == (
        "QRINFO_REDIS_URL: expected a redis://, rediss:// or unix:// URL such as "
        "redis://redis:6379/0"
    )
