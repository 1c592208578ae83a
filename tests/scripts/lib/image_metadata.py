#!/usr/bin/env python3
"""Test images with metadata for tests/scripts/cli_metadata.sh, and an
independent reader of the metadata of PNG and JPEG files (its own chunk and
marker parsing, so that it checks the cdc tool rather than repeating it).

  image_metadata.py make DIR
      writes meta.png (iCCP + eXIf + iTXt XMP), meta.jpg (ICC over 3 APP2
      markers + EXIF + XMP APP1), rotated.jpg (EXIF orientation 6), plain.png,
      rgb8.png / rgb16.png (the same pixels in 8 and 16 bits) and the blocks
      (icc.bin, icc_big.bin, exif.bin, exif_rotated.bin, xmp.bin).
  image_metadata.py check FILE WxH ICC EXIF XMP
      fails unless FILE is WxH and holds exactly those blocks (a file name, or
      - for "absent").
Needs Pillow (for writing the pixels).
"""
import os
import struct
import sys
import zlib

from PIL import Image, ImageCms

W, H = 40, 24
XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/png"/>'
       b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"


def pixels():
    img = Image.new("RGB", (W, H))
    img.putdata([((x * 6) % 256, (y * 10) % 256, ((x + y) * 4) % 256)
                 for y in range(H) for x in range(W)])
    return img


def exif_bytes(orientation):
    ex = Image.Exif()
    ex[0x0112] = orientation
    ex[0x010F] = "libcdc test"
    data = ex.tobytes()
    assert data.startswith(b"Exif\x00\x00")
    return data[6:]


def big_icc():
    """An ICC-like profile of 150000 bytes (3 APP2 markers in a JPEG)."""
    base = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    body = base + bytes((i * 7) & 255 for i in range(150000 - len(base)))
    struct.pack_into(">I", body, 0, len(body))
    return bytes(body)


def insert_app1(jpeg, payload):
    """Inserts an APP1 marker right after SOI."""
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def make(out):
    os.makedirs(out, exist_ok=True)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc_big = big_icc()
    exif = exif_bytes(1)
    exif_rotated = exif_bytes(6)
    blocks = {"icc.bin": icc, "icc_big.bin": icc_big, "exif.bin": exif,
              "exif_rotated.bin": exif_rotated, "xmp.bin": XMP}
    for name, data in blocks.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    img = pixels()
    img.save(os.path.join(out, "plain.png"))
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode("utf-8"))
    img.save(os.path.join(out, "meta.png"), icc_profile=icc, exif=b"Exif\x00\x00" + exif,
             pnginfo=info)
    path = os.path.join(out, "meta.jpg")
    img.save(path, quality=95, icc_profile=icc_big, exif=b"Exif\x00\x00" + exif)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(insert_app1(data, XMP_SIGNATURE + XMP))
    img.save(os.path.join(out, "rotated.jpg"), quality=95, exif=b"Exif\x00\x00" + exif_rotated)
    # The same pixels in 8 and 16 bits (v16 = v8 * 257 scales back exactly).
    img.save(os.path.join(out, "rgb8.png"))
    raw = b"".join(b"\x00" + b"".join(struct.pack(">HHH", *(v * 257 for v in img.getpixel((x, y))))
                                      for x in range(W)) for y in range(H))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    with open(os.path.join(out, "rgb16.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 16, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png_blocks(data):
    found = {}
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"iCCP":
            name_end = body.index(b"\x00")
            found.setdefault("icc", []).append(zlib.decompress(body[name_end + 2:]))
        elif kind == b"eXIf":
            found.setdefault("exif", []).append(body)
        elif kind == b"iTXt":
            key, rest = body.split(b"\x00", 1)
            if key != b"XML:com.adobe.xmp":
                continue
            compressed = rest[0]
            _, _, text = rest[2:].split(b"\x00", 2)
            found.setdefault("xmp", []).append(zlib.decompress(text) if compressed else text)
    return found


def jpeg_blocks(data):
    found = {}
    icc_parts = {}
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: no metadata after it
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        body = data[pos + 4:pos + 2 + length]
        pos += 2 + length
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            found.setdefault("exif", []).append(body[6:])
        elif marker == 0xE1 and body.startswith(XMP_SIGNATURE):
            found.setdefault("xmp", []).append(body[len(XMP_SIGNATURE):])
        elif marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"):
            icc_parts[body[12]] = (body[13], body[14:])
    if icc_parts:
        counts = {count for count, _ in icc_parts.values()}
        assert len(counts) == 1 and sorted(icc_parts) == list(range(1, counts.pop() + 1)), \
            "inconsistent ICC_PROFILE markers"
        found["icc"] = [b"".join(icc_parts[i][1] for i in sorted(icc_parts))]
        found["icc_markers"] = len(icc_parts)
    return found


def check(path, size, expected):
    with open(path, "rb") as f:
        data = f.read()
    found = png_blocks(data) if data.startswith(b"\x89PNG") else jpeg_blocks(data)
    errors = []
    with Image.open(path) as im:
        if "%dx%d" % im.size != size:
            errors.append("size %dx%d, expected %s" % (im.size + (size,)))
    for kind, want in expected.items():
        got = found.get(kind, [])
        if want is None:
            if got:
                errors.append("%s present (%d bytes), expected none" % (kind, len(got[0])))
        elif len(got) != 1:
            errors.append("%d %s blocks, expected 1" % (len(got), kind))
        elif got[0] != want:
            errors.append("%s differs: %d bytes, expected %d" % (kind, len(got[0]), len(want)))
    if errors:
        print("%s: %s" % (path, "; ".join(errors)), file=sys.stderr)
        return 1
    print("%s: %s, blocks as expected%s" % (
        path, size, ", ICC over %d marker(s)" % found["icc_markers"] if "icc_markers" in found else ""))
    return 0


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2])
        return 0
    if sys.argv[1] == "check":
        path, size = sys.argv[2], sys.argv[3]
        expected = {}
        for kind, name in zip(("icc", "exif", "xmp"), sys.argv[4:7]):
            expected[kind] = None if name == "-" else open(name, "rb").read()
        return check(path, size, expected)
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
