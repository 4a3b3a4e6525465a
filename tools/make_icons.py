"""Draw the phone app's icons (PNG, plain zlib: no imaging library needed).

A white speech bubble with a blue check on the app's blue: legible at 48 px and on a
home screen. Maskable icons keep the drawing inside the central 80 % safe zone.

    python -m tools.make_icons        # writes volunteer/static/phone/icons/*.png
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "volunteer" / "static" / "phone" / "icons"

# Android (launcher and splash: 48-512, 192 and 512 required by Chromium), iOS home
# screen (120 iPhone, 152/167 iPad, 180 iPhone retina).
ANY_SIZES = (48, 72, 96, 144, 192, 512)
MASKABLE_SIZES = (192, 512)
APPLE_SIZES = (120, 152, 167, 180)


def _png(width: int, pixels: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in pixels)
    header = struct.pack(">IIBBBBB", width, len(pixels), 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _inside_bubble(x: float, y: float) -> bool:
    """The bubble in unit coordinates (0..1): a rounded rectangle and its tail."""
    left, top, right, bottom, radius = 0.18, 0.2, 0.82, 0.68, 0.12
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    if left <= x <= right and top <= y <= bottom and (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2:
        return True
    # The tail: a triangle under the bubble's left half.
    return bottom <= y <= 0.82 and 0.3 <= x <= 0.3 + (0.82 - y) * 1.1


def _on_check(x: float, y: float) -> bool:
    """A thick check mark inside the bubble."""
    def near(ax, ay, bx, by, width=0.055):
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width ** 2

    return near(0.34, 0.44, 0.46, 0.55) or near(0.46, 0.55, 0.67, 0.33)


def draw(size: int, scale: float = 1.0) -> bytes:
    """The icon at `size` px; `scale` < 1 shrinks the drawing toward the centre."""
    rows = []
    samples = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))
    for py in range(size):
        row = bytearray()
        for px in range(size):
            # Four samples per pixel: smooth edges without an imaging library.
            white = 0
            for sx, sy in samples:
                x = ((px + sx) / size - 0.5) / scale + 0.5
                y = ((py + sy) / size - 0.5) / scale + 0.5
                white += _inside_bubble(x, y) and not _on_check(x, y)
            share = white / len(samples)
            row += bytes(round(b + (w - b) * share) for b, w in zip(BLUE, WHITE))
        rows.append(bytes(row))
    return _png(size, rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in ANY_SIZES:
        (OUT / f"icon-{size}.png").write_bytes(draw(size))
    for size in MASKABLE_SIZES:
        (OUT / f"maskable-{size}.png").write_bytes(draw(size, scale=0.8))
    for size in APPLE_SIZES:
        (OUT / f"apple-touch-icon-{size}.png").write_bytes(draw(size))
    print(f"wrote {len(ANY_SIZES) + len(MASKABLE_SIZES) + len(APPLE_SIZES)} icons to {OUT}")


if __name__ == "__main__":
    main()
