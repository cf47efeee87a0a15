"""Reading drawn QR codes back, as a phone would: zxing-cpp on the pixels."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

# segno's compact terminal text: two modules a character, (top, bottom) light or not.
_HALF_BLOCKS = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
_SCALE = 8  # pixels per module when a terminal drawing is turned back into an image


def decode_png(data: bytes) -> list[str]:
    """The texts of the QR codes in a PNG."""
    image = Image.open(io.BytesIO(data))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def decode_terminal(text: str) -> list[str]:
    """The texts of the QR codes in segno's compact terminal drawing (light drawn as blocks)."""
    rows: list[list[bool]] = []
    for line in text.splitlines():
        if not line:
            continue
        pairs = [_HALF_BLOCKS[char] for char in line]
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    image = Image.new("L", (len(rows[0]), len(rows)))
    image.putdata([255 if light else 0 for row in rows for light in row])
    image = image.resize((image.width * _SCALE, image.height * _SCALE), Image.Resampling.NEAREST)
    return [result.text for result in zxingcpp.read_barcodes(image)]
