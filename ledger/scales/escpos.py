"""A sale receipt as ESC/POS bytes, the command language of thermal receipt printers: a few
lines of text and the sale's QR code (``GS ( k``, model 2, printed by the printer itself)."""

from __future__ import annotations

ESC, GS = b"\x1b", b"\x1d"


def _qr(data: bytes, module: int = 6) -> bytes:
    def function(fn: bytes, body: bytes) -> bytes:
        size = len(body) + 2
        return GS + b"(k" + bytes([size % 256, size // 256]) + b"1" + fn + body

    return (
        function(b"A", b"2\x00")  # model 2
        + function(b"C", bytes([module]))  # module size in dots
        + function(b"E", b"1")  # error correction M
        + function(b"P", b"0" + data)  # store the data
        + function(b"Q", b"0")  # print it
    )


def receipt_bytes(lines: list[str], uri: str) -> bytes:
    """Initialise, print `lines` centred (UTF-8: printers of the market's code page take it),
    the QR code of `uri`, feed and cut."""
    out = ESC + b"@" + ESC + b"a\x01"
    for line in lines:
        out += line.encode("utf-8")[:96] + b"\n"
    out += _qr(uri.encode("ascii"))
    out += b"\n" + ESC + b"d\x03" + GS + b"V\x00"
    return out
