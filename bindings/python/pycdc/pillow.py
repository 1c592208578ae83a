"""Pillow plugin for .cdc files, registered by ``import pycdc`` (when Pillow
is installed; Debian: python3-pil).

Reading::

    import pycdc                      # registers the plugin
    from PIL import Image
    im = Image.open("photo.cdc")      # reads the header only: size, mode
    im.cdc_options["steps"] = 4       # optional, before the pixels are needed
    im.load()                         # decodes with libcdc

The mode is the stream's: "L" (gray), "RGB" or "RGBA". ``im.info`` holds
the header facts "model_id", "bpp" and "format_version", and the stream's
metadata as Pillow's own plugins name it: "icc_profile" (bytes), "exif"
(bytes starting with b"Exif\\0\\0", as JPEG's) and "xmp" (bytes), each
only when the stream has it. Decoding options
come from :data:`decode_options` (module-level defaults, copied into each
opened image's ``im.cdc_options``), which may hold "model" (a built-in name,
a model file path or a :class:`pycdc.Model`; None: the built-in model whose
id the stream carries), "threads", "steps", "gamma", "seed", "max_pixels"
and "progress" (see :class:`pycdc.Context`). A file that starts with the .cdc
signature but is damaged raises the :class:`pycdc.StreamError` from
``Image.open``.

Writing::

    im.save("photo.cdc")                        # the built-in default model
    im.save("photo.cdc", model="default-low")   # a built-in name or a model file
    im.save("photo.cdc", quality=30)            # a built-in model and residual step (below)
    im.save("photo.cdc", threads=2)

The ICC profile, EXIF and XMP of the image are stored in the stream: the
save options "icc_profile", "exif" (bytes or a ``PIL.Image.Exif``) and
"xmp", else ``im.info``'s entries of those names; ``strip=True`` stores none.

Save options: "model", "quality", "threads", "max_pixels", "progress",
"icc_profile", "exif", "xmp", "strip";
"steps", "gamma" and "seed" are accepted (so that one options dict serves
reading and writing) but do not change the stream: they are decoding
options. :data:`encode_options` holds module-level defaults. ``quality``
(0..100) chooses the built-in base model and the residual layer's step as
``cdc encode --quality`` does (:func:`pycdc._io.quality_settings`);
"residual" and "target_bpp" set the step or a rate directly; giving both
quality and model is an error. Modes L, RGB and RGBA are stored
as they are; 1 becomes L, P/PA/LA become RGB or RGBA (keeping
transparency), other 8-bit modes RGB; 16-bit and float modes raise OSError.
"""

import numpy as np
from PIL import Image, ImageFile

from . import _io

FORMAT = "CDC"
EXTENSION = ".cdc"
MIME = "image/x-cdc"

#: Default decoding options of every image opened afterwards (copied into
#: ``im.cdc_options`` by Image.open).
decode_options = {}
#: Default encoding options of ``Image.save(..., format="CDC")``; keywords of
#: save() take precedence.
encode_options = {}

_DECODE_KEYS = ("model", "threads", "steps", "gamma", "seed", "max_pixels", "tile", "tile_overlap",
                "progress")
_ENCODE_KEYS = ("threads", "steps", "gamma", "seed", "max_pixels", "tile", "tile_overlap", "progress",
                "residual", "target_bpp")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_FORMATS = {"L": "gray", "RGB": "rgb", "RGBA": "rgba"}

def _accept(prefix):
    return prefix[: len(_io.MAGIC)] == _io.MAGIC


class CdcImageFile(ImageFile.ImageFile):
    """A .cdc file opened by Pillow; decoded by libcdc on load()."""

    format = FORMAT
    format_description = "libcdc learned image codec"

    def _open(self):
        import pycdc

        data = self.fp.read()
        header = pycdc.info(data)  # a StreamError for a damaged file
        mode = _MODES.get(header["channels"])
        if mode is None:
            raise SyntaxError(f"unsupported channel count {header['channels']}")
        if isinstance(getattr(type(self), "mode", None), property):
            self._mode = mode  # Pillow >= 10.1
        else:
            self.mode = mode
        self._size = (header["width"], header["height"])
        for key in ("model_id", "bpp", "format_version"):
            self.info[key] = header[key]
        metadata = header["metadata"]
        if "icc" in metadata:
            self.info["icc_profile"] = metadata["icc"]
        if "exif" in metadata:
            self.info["exif"] = b"Exif\x00\x00" + metadata["exif"]
        if "xmp" in metadata:
            self.info["xmp"] = metadata["xmp"]
        #: Decoding options of this image (a copy of :data:`decode_options`);
        #: change them before the pixels are first needed.
        self.cdc_options = dict(decode_options)
        self.tile = [("cdc", (0, 0) + self.size, 0, (self.cdc_options,))]

    def load(self):
        if self.tile:  # options set after open() count
            self.tile = [(name, box, offset, (dict(self.cdc_options),))
                         for name, box, offset, _ in self.tile]
        return super().load()


class CdcDecoder(ImageFile.PyDecoder):
    """Decodes a whole .cdc stream with libcdc."""

    _pulls_fd = True

    def decode(self, buffer):
        import pycdc

        options = {k: v for k, v in (self.args[0] if self.args else {}).items()
                   if k in _DECODE_KEYS}
        model = options.pop("model", None)
        data = self.fd.read()
        array = pycdc.decode(data, _io.model_for_stream(data, model),
                             format=_FORMATS[self.mode], **options)
        self.set_as_raw(np.ascontiguousarray(array).tobytes())
        return -1, 0


def _save(im, fp, filename):
    import pycdc

    params = dict(encode_options)
    params.update({k: v for k, v in im.encoderinfo.items() if v is not None})
    options = {k: params[k] for k in _ENCODE_KEYS if k in params}
    for key in ("steps", "gamma", "seed"):  # decoding options: no effect on the stream
        options.pop(key, None)
    spec = _io.choose_model(params.get("model"), params.get("quality"))
    options = _io.quality_options(params.get("quality"), options)
    try:
        array = _io.pil_to_array(im)
    except ValueError as e:
        raise OSError(f"cannot write mode {im.mode} as CDC: {e}") from None
    blocks = {}
    if not params.get("strip"):
        for name, key in (("icc", "icc_profile"), ("exif", "exif"), ("xmp", "xmp")):
            value = params.get(key, im.info.get(key))
            if isinstance(value, Image.Exif):
                value = value.tobytes()
            if isinstance(value, str) and name == "xmp":
                value = value.encode("utf-8")
            if isinstance(value, (bytes, bytearray)) and value:
                blocks[name] = bytes(value)
    fp.write(pycdc.encode(array, _io.cached_model(spec), **blocks, **options))


_registered = False


def register():
    """Registers the CDC format with Pillow (done by ``import pycdc``; calling
    it again does nothing)."""
    global _registered
    if _registered:
        return
    Image.register_open(FORMAT, CdcImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extension(FORMAT, EXTENSION)
    Image.register_mime(FORMAT, MIME)
    Image.register_decoder("cdc", CdcDecoder)
    _registered = True
