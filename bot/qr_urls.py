"""Pure: the provider's QR URLs: their hosts, the environment each host serves, their shapes.

Two shapes are live: ``https://qr.95516.com/<8 digits>/<id>`` (current) and
``https://<host>/bills/qrCode.do?id=<id>`` (older) on qr.chinaums.com and the test
environment's qr-test1/2/3.chinaums.com. Everything that reads or draws a QR URL takes
its hosts from here.
"""

from __future__ import annotations

import re
from typing import Literal

NEW_SHAPE_HOST = "qr.95516.com"
OLD_SHAPE_PATH = "/bills/qrCode.do"
# Host -> the provider's environment it serves.
HOST_ENVS: dict[str, Literal["test", "prod"]] = {
    NEW_SHAPE_HOST: "prod",
    "qr.chinaums.com": "prod",
    "qr-test1.chinaums.com": "test",
    "qr-test2.chinaums.com": "test",
    "qr-test3.chinaums.com": "test",
}
QR_HOSTS = frozenset(HOST_ENVS)
OLD_SHAPE_HOSTS = QR_HOSTS - {NEW_SHAPE_HOST}


def pattern(hosts: frozenset[str]) -> str:
    """A regular expression matching any of *hosts* (longest first)."""
    return "|".join(re.escape(host) for host in sorted(hosts, key=len, reverse=True))


def env_of_host(host: str) -> Literal["test", "prod"] | None:
    """The environment a QR URL's host serves (None: not one of the provider's)."""
    return HOST_ENVS.get(host.lower())
