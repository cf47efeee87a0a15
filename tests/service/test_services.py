"""The lookup service's bundle (bot/service/services.py): the default gateway, the shared
state it says it is in, the record each lookup leaves, and what its coalescer keeps."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bot.gateway.errors import GatewayUnavailable
from bot.gateway.models import QrCodeInfo
from bot.service.answer import Answer
from bot.service.audit import AuditLog
from tests.helpers import FIXED_NOW
from tests.service.helpers import FOUND, WHO, sandbox_services
from tests.slack.helpers import lookups

INFO = QrCodeInfo.model_validate({"errCode": "SUCCESS"})


async def test_the_default_gateway_and_one_process_without_redis() -> None:
    async with sandbox_services() as services:
        assert services.env == "sandbox"
        assert services.gateway is services.gateways.default_client
        assert services.fleet_state is None


async def test_a_record_counts_the_lookup_and_writes_one_audit_line(tmp_path: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    async with sandbox_services() as services:
        services.audit = AuditLog(str(trail))
        ref = replace(FOUND, env="sandbox")
        services.record(WHO, "share", ref, outcome="NO_BILL", msg_id="qri1", started=0.0)
        services.audit.close()
    assert lookups(services) == {("share", "rejected"): 1}
    [line] = [json.loads(text) for text in trail.read_text().splitlines()]
    assert {k: line[k] for k in ("user", "action", "env", "qrCodeId", "outcome", "msgId")} == {
        "user": WHO.user_id,
        "action": "share",
        "env": "sandbox",
        "qrCodeId": FOUND.qr_code_id,
        "outcome": "NO_BILL",
        "msgId": "qri1",
    }


async def test_an_operators_look_without_a_code_leaves_empty_fields(tmp_path: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    async with sandbox_services() as services:
        services.audit_line(WHO, "raw_reply", None, outcome="shown", msg_id="qri1")  # no log: none
        services.audit = AuditLog(str(trail))
        services.audit_line(WHO, "raw_reply", None, outcome="shown", msg_id="qri1")
        services.audit.close()
    [line] = [json.loads(text) for text in trail.read_text().splitlines()]
    assert (line["mid"], line["qrCodeId"], line["env"], line["durationMs"]) == (None, None, None, 0)


async def test_the_coalescer_keeps_definite_answers_but_not_another_replicas() -> None:
    """A kept answer from Redis would outlive its window if kept again here."""
    async with sandbox_services(qrinfo_coalesce_seconds=5) as services:
        keep = services.coalescer._keep  # what Services told it (its clock is the real one)
        assert keep(Answer("q", INFO, FIXED_NOW, 1.0))
        assert not keep(Answer("q", INFO, FIXED_NOW, 1.0, kept=True))
        down = GatewayUnavailable(reason="timeout", attempts=3, elapsed=1.0, msg_id="q")
        assert not keep(Answer("q", down, FIXED_NOW, 1.0))
        assert services.coalescer.window == 5
