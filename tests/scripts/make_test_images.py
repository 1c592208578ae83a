#!/usr/bin/env python3
"""Writes small PNG and JPEG-like test files for tests/scripts/cli.sh.

Standard library only (zlib, struct), so that it runs anywhere python3 does.
Usage: make_test_images.py OUTDIR
"""
import os
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, color_type, rows, extra=b"", interlace=0):
    """rows: list of bytes objects (unfiltered scanlines)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w, h = 24, 16

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    rgb = [bytes(v for x in range(w) for v in (x * 10, y * 15, (x + y) * 6)) for y in range(h)]
    write("rgb.png", png(w, h, 8, 2, rgb))
    write("rgba.png", png(w, h, 8, 6, [bytes(v for x in range(w) for v in (x * 10, y * 15, 90, 255 - x)) for y in range(h)]))
    write("gray.png", png(w, h, 8, 0, [bytes((x * 10 + y) & 255 for x in range(w)) for y in range(h)]))
    write("gray_alpha.png", png(w, h, 8, 4, [bytes(v for x in range(w) for v in (x * 10, 200)) for y in range(h)]))
    write("rgb16.png", png(w, h, 16, 2, [b"".join(struct.pack(">HHH", x * 2000, y * 3000, 40000) for x in range(w)) for y in range(h)]))
    palette = chunk(b"PLTE", bytes(v for i in range(4) for v in (i * 60, 255 - i * 60, 128)))
    write("palette.png", png(w, h, 8, 3, [bytes((x + y) % 4 for x in range(w)) for y in range(h)], extra=palette))
    write("gray1bit.png", png(8, 2, 1, 0, [b"\xaa", b"\x55"]))
    write("one_pixel.png", png(1, 1, 8, 2, [b"\x10\x20\x30"]))
    good = png(w, h, 8, 2, rgb)
    write("truncated.png", good[: len(good) // 2])
    bad_crc = bytearray(good)
    bad_crc[45] ^= 0xFF  # inside the IDAT data: CRC mismatch
    write("bad_crc.png", bytes(bad_crc))
    write("not_an_image.png", b"hello, this is text\n" * 10)
    write("empty.png", b"")
    write("huge_header.png", png(60000, 60000, 8, 2, [b""]))  # 3.6 gigapixels declared
    # A JPEG that stops right after its start-of-image marker and one segment.
    write("truncated.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb")


if __name__ == "__main__":
    main()
