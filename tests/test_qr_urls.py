"""The provider's QR URLs (bot/qr_urls.py): the environment each host serves, the shapes'
hosts, and the pattern that matches them."""

from __future__ import annotations

import re

import pytest

from bot.qr_urls import NEW_SHAPE_HOST, OLD_SHAPE_HOSTS, QR_HOSTS, env_of_host, pattern


@pytest.mark.parametrize(
    ("host", "env"),
    [
        ("qr.95516.com", "prod"),
        ("QR.ChinaUMS.com", "prod"),
        ("qr-test2.chinaums.com", "test"),
        ("qr.example.com", None),
        ("qr.95516.com.evil", None),
    ],
)
def test_each_host_serves_its_environment_whatever_its_case(host: str, env: str | None) -> None:
    assert env_of_host(host) == env


def test_the_old_shape_is_on_every_host_but_the_new_shapes() -> None:
    assert NEW_SHAPE_HOST not in OLD_SHAPE_HOSTS
    assert OLD_SHAPE_HOSTS | {NEW_SHAPE_HOST} == QR_HOSTS


def test_the_pattern_matches_the_hosts_only_dots_taken_literally() -> None:
    hosts = re.compile(pattern(QR_HOSTS))
    assert all(hosts.fullmatch(host) for host in QR_HOSTS)
    assert hosts.fullmatch("qrX95516.com") is None


def test_the_pattern_tries_the_longest_host_first() -> None:
    """So that a host that is a prefix of another never wins the match."""
    assert re.match(pattern(frozenset({"qr.a", "qr.ab"})), "qr.ab").group() == "qr.ab"  # type: ignore[union-attr]
