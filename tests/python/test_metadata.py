"""Metadata (ICC profile, EXIF, XMP) through pycdc and its Pillow plugin."""

import io

import numpy as np
import pytest

import pycdc
from conftest import make_image

ICC = bytes(range(256)) * 3
EXIF = b"MM\x00*\x00\x00\x00\x08" + bytes(range(40))
XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


@pytest.fixture(scope="module")
def rgb():
    return make_image(24, 40, 3, seed=7)


@pytest.fixture(scope="module")
def plain(model, rgb):
    return pycdc.encode(rgb, model, threads=1)


def test_round_trip_of_the_blocks(model, rgb, plain, steps):
    data = pycdc.encode(rgb, model, icc=ICC, exif=EXIF, xmp=XMP, threads=1)
    assert pycdc.metadata(data) == {"icc": ICC, "exif": EXIF, "xmp": XMP.encode()}
    info = pycdc.info(data)
    assert info["format_version"] == 2
    assert info["metadata"] == pycdc.metadata(data)
    section = 4 + 3 * 8 + len(ICC) + len(EXIF) + len(XMP) + 4
    assert info["metadata_size"] == section
    assert info["stream_size"] == len(data) == len(plain) + section
    assert info["header_size"] + info["payload_size"] + info["metadata_size"] == len(data)
    assert data[120:len(plain)] == plain[120:]  # the same payload
    # The decoded pixels do not depend on the metadata.
    a = pycdc.decode(data, model, steps=steps, gamma=0.0, threads=1)
    b = pycdc.decode(plain, model, steps=steps, gamma=0.0, threads=1)
    assert np.array_equal(a, b)
    # Any buffer type.
    assert pycdc.metadata(memoryview(data)) == pycdc.metadata(bytearray(data))


def test_no_metadata_is_the_version_1_stream(model, rgb, plain):
    assert pycdc.metadata(plain) == {}
    assert plain[8] == 1
    for empty in (dict(icc=b""), dict(exif=None), dict(icc=b"", exif=b"", xmp="")):
        assert pycdc.encode(rgb, model, threads=1, **empty) == plain
    ctx = pycdc.Context(threads=1)
    assert ctx.encode(rgb, model) == plain
    assert pycdc.metadata(ctx.encode(rgb, model, xmp=b"<x/>")) == {"xmp": b"<x/>"}


def test_exif_prefix_is_removed(model, rgb):
    data = pycdc.encode(rgb, model, exif=b"Exif\x00\x00" + EXIF, threads=1)
    assert pycdc.metadata(data) == {"exif": EXIF}


def test_bad_metadata_arguments(model, rgb):
    with pytest.raises(TypeError, match="icc must be bytes"):
        pycdc.encode(rgb, model, icc="profile")
    with pytest.raises(TypeError, match="exif"):
        pycdc.encode(rgb, model, exif=123)
    with pytest.raises(ValueError, match="at most"):
        pycdc.encode(rgb, model, icc=bytes(pycdc.METADATA_MAX_SIZE + 1))


def test_damaged_metadata(model, rgb):
    data = pycdc.encode(rgb, model, icc=ICC, threads=1)
    with pytest.raises(pycdc.TruncatedStreamError, match="metadata"):
        pycdc.metadata(data[:-5])
    bad = bytearray(data)
    bad[-100] ^= 1
    with pytest.raises(pycdc.CorruptStreamError, match="metadata section: checksum mismatch"):
        pycdc.metadata(bytes(bad))
    with pytest.raises(pycdc.CorruptStreamError):
        pycdc.info(bytes(bad))
    with pytest.raises(pycdc.CorruptStreamError):
        pycdc.decode(bytes(bad), model, steps=1)


def test_pillow_plugin_carries_metadata(tmp_path, model):
    Image = pytest.importorskip("PIL.Image", reason="the Pillow plugin needs Pillow")
    array = make_image(24, 40, 3, seed=8)
    im = Image.fromarray(array)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "m.cdc"
    im.save(path, model=model, icc_profile=ICC, exif=exif, xmp=XMP.encode(), threads=1)
    blocks = pycdc.metadata(path.read_bytes())
    assert blocks["icc"] == ICC and blocks["xmp"] == XMP.encode()
    assert blocks["exif"] == exif.tobytes()[6:]
    with Image.open(path) as opened:
        assert opened.info["icc_profile"] == ICC
        assert opened.info["exif"] == b"Exif\x00\x00" + blocks["exif"]
        assert opened.info["xmp"] == XMP.encode()
        assert opened.getexif()[0x0112] == 6
        assert opened.size == (40, 24)  # the pixels as stored, not rotated
    # im.info is carried: an image opened from a .cdc saves with its metadata.
    with Image.open(path) as opened:
        opened.cdc_options.update(model=model, steps=1)
        opened.load()
        buf = io.BytesIO()
        opened.save(buf, format="CDC", model=model, threads=1)
        assert pycdc.metadata(buf.getvalue()) == blocks
        buf = io.BytesIO()
        opened.save(buf, format="CDC", model=model, threads=1, strip=True)
        assert pycdc.metadata(buf.getvalue()) == {}
