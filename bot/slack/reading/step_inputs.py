"""Pure: the inputs of the Workflow Builder step ``lookup_qr_code`` -> what to look up (a run
does not say who ran it: see listeners/workflow.py).

The merchant number and the QR code (an id, or a URL whose host names the environment) are
read with the form's rules, which are the command's (:func:`parse_form`): one code a run.
What cannot be read is one line of English for whoever built the workflow.

May touch the gateway's checks, i18n and the other reading modules; nothing of Bolt,
aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.gateway.ids import QrCodeRef
from bot.slack.reading.form import FormErrors, parse_form
from bot.slack.reading.pasted import MID, QR_CODE_ID, BatchRequest

MERCHANT_NO = "merchant_no"
QR_CODE = "qr_code"
# The form's field names -> the step's input names, for the errors.
_INPUT_OF = {MID: MERCHANT_NO, QR_CODE_ID: QR_CODE}


class StepInputError(Exception):
    """The step's inputs cannot be looked up; ``problem`` says why, on one line."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def read_step(inputs: Mapping[str, object]) -> QrCodeRef:
    """The lookup the step's ``merchant_no`` and ``qr_code`` ask for (its env set when the
    code is a URL); StepInputError, naming each input at fault, otherwise."""
    missing = [name for name in (MERCHANT_NO, QR_CODE) if not isinstance(inputs.get(name), str)]
    if missing:
        raise StepInputError("; ".join(f"{name}: no text given" for name in missing))
    try:
        read = parse_form(str(inputs[MERCHANT_NO]), str(inputs[QR_CODE]))
    except FormErrors as exc:
        problems = (f"{_INPUT_OF.get(field, field)}: {text}" for field, text in exc.errors.items())
        raise StepInputError(_one_line("; ".join(problems))) from None
    if isinstance(read, BatchRequest):
        raise StepInputError(
            f"{QR_CODE}: one QR code a step; that gives {len(read.refs)} "
            "(use /qrinfo or the form for several)"
        )
    return read


def _one_line(text: str) -> str:
    return " ".join(text.split())
