"""The app's icon, drawn as a PNG of any size: a night-blue rounded square with a yellow moon and three swirling
brush strokes (a nod to the default painting). Pure Python, so building the site needs no imaging package."""

import math
import struct
import zlib


def _png(width, height, rgba_rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(row) for row in rgba_rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _mix(a, b, t):
    return tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))


def icon_png(size):
    """The icon as PNG bytes, size x size pixels. It fills the whole square (safe for "maskable" crops: the moon and
    strokes stay inside the middle 80%)."""
    top, bottom = (24, 38, 92), (12, 18, 48)
    moon, stroke = (250, 204, 72), (120, 170, 235)
    rows = []
    for y in range(size):
        v = y / size
        row = bytearray()
        for x in range(size):
            u = x / size
            colour = _mix(top, bottom, v)
            # three wavy strokes across the lower half
            for k, (base, amp) in enumerate(((0.62, 0.035), (0.72, 0.03), (0.82, 0.025))):
                wave = base + amp * math.sin(2 * math.pi * (1.6 * u + 0.25 * k))
                if abs(v - wave) < 0.022 and 0.12 < u < 0.88:
                    colour = _mix(stroke, (235, 240, 255), 0.25 * k)
            # the moon, with a soft glow
            d = math.hypot(u - 0.64, v - 0.34)
            if d < 0.15:
                colour = moon
            elif d < 0.22:
                colour = _mix(moon, colour, (d - 0.15) / 0.07)
            row += bytes(colour) + b"\xff"
        rows.append(row)
    return _png(size, size, rows)
