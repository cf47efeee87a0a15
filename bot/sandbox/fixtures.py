"""The sandbox's known QR codes, loaded from fixtures.json (data, not code)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, cast

from bot.gateway.signing import body_timestamp
from bot.sandbox.faults import FAULT_NAMES, FaultName

SEED_QR_CODE_ID = "31942002268195125132885377"


@dataclass(frozen=True, slots=True)
class FixtureCode:
    """One known code: its owner's mid and the reply the gateway sends for it."""

    qr_code_id: str  # for a family (prefix), the prefix
    note: str
    reply: dict[str, Any]
    expires_in_minutes: float | None = None
    prefix: bool = False

    @property
    def mid(self) -> str | None:
        mid = self.reply.get("mid")
        return mid if isinstance(mid, str) else None

    def reply_at(self, now: datetime, asked: str | None = None) -> dict[str, Any]:
        """A fresh copy of the reply; a relative expiry becomes a Beijing time after *now*.

        For a family, ``{qrCodeId}`` in the reply's strings becomes the id *asked*.
        """
        reply = copy.deepcopy(self.reply)
        if self.prefix and asked:
            reply = {
                k: v.replace("{qrCodeId}", asked) if isinstance(v, str) else v
                for k, v in reply.items()
            }
        if self.expires_in_minutes is not None:
            reply["expireTime"] = body_timestamp(now + timedelta(minutes=self.expires_in_minutes))
        return reply


@dataclass(frozen=True, slots=True)
class Fixtures:
    codes: dict[str, FixtureCode]
    faults: dict[str, FaultName]
    families: tuple[FixtureCode, ...] = ()
    seed_id: str = SEED_QR_CODE_ID

    def find(self, qr_code_id: str) -> FixtureCode | None:
        """The code with this id, else the family whose prefix it starts with."""
        code = self.codes.get(qr_code_id)
        if code is not None:
            return code
        return next((f for f in self.families if qr_code_id.startswith(f.qr_code_id)), None)


def parse_fixtures(data: dict[str, Any]) -> Fixtures:
    """Build Fixtures from the JSON document; a malformed entry fails loudly, naming it."""
    codes: dict[str, FixtureCode] = {}
    for index, entry in enumerate(data.get("codes", [])):
        try:
            code = FixtureCode(
                qr_code_id=str(entry["qrCodeId"]),
                note=str(entry.get("note", "")),
                reply=dict(entry["reply"]),
                expires_in_minutes=entry.get("expiresInMinutes"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"fixtures: codes[{index}] lacks {exc}") from None
        if code.qr_code_id in codes:
            raise ValueError(f"fixtures: qrCodeId {code.qr_code_id} appears twice")
        if code.mid is None:
            raise ValueError(f"fixtures: codes[{index}] reply has no mid")
        codes[code.qr_code_id] = code
    faults: dict[str, FaultName] = {}
    for qr_code_id, name in data.get("faults", {}).items():
        if name not in FAULT_NAMES:
            raise ValueError(
                f"fixtures: fault {name!r} for {qr_code_id} is not one of {FAULT_NAMES}"
            )
        faults[qr_code_id] = cast(FaultName, name)
    if SEED_QR_CODE_ID not in codes:
        raise ValueError(f"fixtures: the seed's code {SEED_QR_CODE_ID} is missing")
    families = tuple(
        FixtureCode(
            qr_code_id=str(entry["qrCodeIdPrefix"]),
            note=str(entry.get("note", "")),
            reply=dict(entry["reply"]),
            prefix=True,
        )
        for entry in data.get("families", [])
    )
    return Fixtures(codes=codes, faults=faults, families=families)


def load_fixtures(path: Path | None = None) -> Fixtures:
    """The packaged fixtures.json, or another file of the same shape."""
    if path is None:
        text = resources.files("bot.sandbox").joinpath("fixtures.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_fixtures(json.loads(text))
