"""pycdc: Python bindings of libcdc, a learned image codec based on
"Lossy Image Compression with Conditional Diffusion Models" (Yang & Mandt).

Quick start::

    import numpy as np, pycdc
    data = pycdc.encode(image)            # HxW, HxWx1, HxWx3 or HxWx4 uint8 array -> bytes
    restored = pycdc.decode(data)         # bytes -> uint8 array of the original layout
    pycdc.info(data)                      # the stream's header, without decoding

    data = pycdc.encode(image, icc=profile, exif=exif, xmp=xmp)   # metadata kept as is
    pycdc.metadata(data)                  # {"icc": bytes, "exif": bytes, "xmp": bytes}

    model = pycdc.Model("path/to/model.cdcm")   # or a built-in name, or None (the default)
    ctx = pycdc.Context(threads=4, steps=50, gamma=0.0, seed=1)
    data = ctx.encode(image, model)
    restored = ctx.decode(data, model, progress=print)

A :class:`Model` is immutable and may be shared by any number of threads; a
:class:`Context` serves one thread at a time. The module-level functions use a
fresh context per call, so they are safe to call from several threads. The GIL
is released while libcdc encodes or decodes, so threads run in parallel.

Files: :func:`imread` / :func:`imwrite` read and write .cdc files (and, through
Pillow, PNG/JPEG); with Pillow installed, ``import pycdc`` registers a Pillow
plugin so that ``PIL.Image.open("x.cdc")`` and ``im.save("x.cdc")`` work (see
:mod:`pycdc.pillow`). ``python3 -m pycdc.batch`` compresses and decompresses
folders, and ``python3 -m pycdc.eval`` evaluates them, on a local process pool
or a Dask cluster.

Failures raise :class:`CdcError` subclasses carrying ``.status`` (a
:class:`Status`) and libcdc's ``.message``.
"""

import contextlib as _contextlib
import json as _json
import os as _os
import threading as _threading
from dataclasses import dataclass as _dataclass

import numpy as _np

from . import _errors
from ._errors import *  # noqa: F401,F403  (Status and the exception classes)
from ._errors import NotFoundError, Status
from . import _pycdc

__all__ = [
    "Model",
    "Context",
    "Progress",
    "encode",
    "decode",
    "info",
    "metadata",
    "models",
    "default_model",
    "option_bounds",
    "convert_checkpoint",
    "library_version",
    "format_version",
    "imread",
    "imwrite",
    "__version__",
] + _errors.__all__

#: Version of the libcdc library loaded ("MAJOR.MINOR.PATCH").
__version__ = _pycdc.version_string()
#: Version of libcdc as the tuple (MAJOR, MINOR, PATCH).
library_version = tuple(int(p) for p in __version__.split("."))
#: The newest .cdc bitstream format version read and written: encode() writes
#: version 1 for a stream without metadata, version 2 with metadata.
format_version = _pycdc.format_version()
#: Largest metadata block (ICC profile, EXIF, XMP) a stream holds, in bytes.
METADATA_MAX_SIZE = _pycdc.METADATA_MAX_SIZE

if _pycdc.version_number() // 1000 != _pycdc.HEADER_VERSION_NUMBER // 1000:
    import warnings as _warnings

    _warnings.warn(
        f"pycdc was built against libcdc {_pycdc.HEADER_VERSION_NUMBER} but loaded "
        f"{_pycdc.version_number()}; rebuild pycdc",
        RuntimeWarning,
    )


def models():
    """Names of the models built into libcdc; the first is the default."""
    return list(_pycdc.builtin_models())


def option_bounds(name):
    """(min, max, default) of an option: "threads", "steps", "gamma", "seed", "max_pixels",
    "tile", "tile_overlap"."""
    return tuple(_pycdc.option_bounds(_option_id(name)))


_WEIGHT_FORMATS = {"keep": 0, "f32": 1, "f16": 2}


def convert_checkpoint(checkpoint, output, name=None, default_steps=0, default_gamma=-1.0,
                       weights="keep"):
    """Converts a checkpoint of the reference PyTorch CDC implementation (or a
    libcdc model file) into a libcdc model file (like ``cdc convert``).
    default_steps (0: the preset's) and default_gamma (negative: the
    preset's) are stored as the model's decoding defaults. weights: "f16"
    stores the convolution and linear weights as float16 (half the file,
    model format version 2), "f32" all as float32, "keep" (default) the
    input's."""
    if weights not in _WEIGHT_FORMATS:
        raise ValueError(f"weights must be one of {sorted(_WEIGHT_FORMATS)}, not {weights!r}")
    _pycdc.convert_checkpoint(_os.fspath(checkpoint), _os.fspath(output), name,
                              int(default_steps), float(default_gamma), _WEIGHT_FORMATS[weights])


# --- models ------------------------------------------------------------------


class Model:
    """An immutable libcdc model (weights and entropy-coder tables).

    ``Model()`` or ``Model(None)`` loads the built-in default model;
    ``Model("name")`` a built-in model by name (see :func:`models`);
    ``Model("path/to/file.cdcm")`` (a str or os.PathLike) a model file.
    :meth:`from_bytes` loads the bytes of a model file.

    A model is read-only: share one between threads freely.
    """

    __slots__ = ("_handle", "_info", "_source", "__weakref__")

    def __init__(self, path_or_name=None):
        if isinstance(path_or_name, Model):
            self._adopt(path_or_name._handle, path_or_name._source)
            return
        if path_or_name is None:
            self._adopt(_pycdc.Model.load_default(), "default")
            return
        if isinstance(path_or_name, (bytes, bytearray, memoryview)):
            raise TypeError(
                "Model() takes a path or a built-in name; use Model.from_bytes() for the "
                "bytes of a model file"
            )
        try:
            text = _os.fspath(path_or_name)
        except TypeError:
            raise TypeError(
                f"Model() takes None, a built-in model name or a path, not "
                f"{type(path_or_name).__name__}"
            ) from None
        if isinstance(text, bytes):
            text = _os.fsdecode(text)
        # libcdc's one resolver (cdc_model_load): a built-in name, else a file.
        self._adopt(_pycdc.Model.load(text), text)

    def _adopt(self, handle, source):
        self._handle = handle
        self._source = source
        self._info = handle.info()

    @classmethod
    def from_bytes(cls, data):
        """Loads a model from the bytes (any buffer) of a model file."""
        self = cls.__new__(cls)
        self._adopt(_pycdc.Model.load_memory(data), "<bytes>")
        return self

    @classmethod
    def from_file(cls, path):
        """Loads a model file."""
        self = cls.__new__(cls)
        self._adopt(_pycdc.Model.load_file(_os.fspath(path)), _os.fspath(path))
        return self

    @classmethod
    def builtin(cls, name=None):
        """Loads a built-in model by name (None: the default)."""
        self = cls.__new__(cls)
        if name is None:
            self._adopt(_pycdc.Model.load_default(), "default")
        else:
            self._adopt(_pycdc.Model.load_builtin(name), name)
        return self

    @property
    def name(self):
        return self._info["name"]

    @property
    def id(self):
        """32 hex digits identifying the model; every stream carries its model's id."""
        return self._info["id"]

    @property
    def config(self):
        """The model configuration (a dict)."""
        return _json.loads(self._info["config_json"] or "{}")

    @property
    def num_timesteps(self):
        return self._info["num_timesteps"]

    @property
    def default_steps(self):
        return self._info["default_steps"]

    @property
    def default_gamma(self):
        return self._info["default_gamma"]

    @property
    def size_multiple(self):
        return self._info["size_multiple"]

    @property
    def parameter_count(self):
        return self._info["parameter_count"]

    @property
    def rate_lambda(self):
        """The rate weight the model was trained with (0.0 when unknown);
        encoder effort levels above 0 need it."""
        return self._info["rate_lambda"]

    def info(self):
        """All facts about the model as a dict (config parsed from JSON)."""
        d = dict(self._info)
        d["config"] = _json.loads(d.pop("config_json") or "{}")
        return d

    def __repr__(self):
        return (
            f"<pycdc.Model {self.name!r} id={self.id} steps={self.default_steps} "
            f"gamma={self.default_gamma:g} params={self.parameter_count}>"
        )

    def __eq__(self, other):
        return isinstance(other, Model) and other.id == self.id

    def __hash__(self):
        return hash(self.id)


_model_cache = {}
_model_cache_lock = _threading.Lock()


def default_model():
    """The built-in default model, loaded once and cached."""
    return _cached_model(None)


def _cached_model(name):
    with _model_cache_lock:
        model = _model_cache.get(name)
        if model is None:
            try:
                model = Model.builtin(name)
            except NotFoundError as e:
                if name is not None:
                    raise
                raise NotFoundError(
                    f"{e.message}; pass a model, e.g. model=pycdc.Model('path/to/model.cdcm') "
                    f"(`cdc convert` makes one from a checkpoint)",
                    e.status,
                ) from None
            _model_cache[name] = model
        return model


def _resolve_model(model):
    if model is None:
        return default_model()
    if isinstance(model, Model):
        return model
    if isinstance(model, str) and model in _pycdc.builtin_models():
        return _cached_model(model)  # built-in models are loaded once
    return Model(model)


# --- progress ----------------------------------------------------------------


@_dataclass(frozen=True)
class Progress:
    """What a progress callback receives.

    stage: "analysis", "entropy_encode" (encoder), "entropy_decode", "context",
        "diffusion" (decoder).
    done, total: units of work of this stage done so far, and in all (steps
        during "diffusion").
    preview: during "diffusion", the current prediction of the image as an
        HxWx3 uint8 array (a copy, yours to keep); None otherwise.
    """

    stage: str
    done: int
    total: int
    preview: object = None

    @property
    def fraction(self):
        return self.done / self.total if self.total else 0.0


def _wrap_progress(callback):
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError("progress must be a callable taking a pycdc.Progress, or None")

    def trampoline(stage, done, total, preview):
        return callback(Progress(stage, done, total, preview))

    trampoline.user_callback = callback
    return trampoline


# --- contexts ----------------------------------------------------------------

_OPTIONS = {
    "threads": _pycdc.OPTION_THREADS,
    "steps": _pycdc.OPTION_STEPS,
    "gamma": _pycdc.OPTION_GAMMA,
    "seed": _pycdc.OPTION_SEED,
    "max_pixels": _pycdc.OPTION_MAX_PIXELS,
    "tile": _pycdc.OPTION_TILE,
    "tile_overlap": _pycdc.OPTION_TILE_OVERLAP,
    "effort": _pycdc.OPTION_EFFORT,
    "precision": _pycdc.OPTION_PRECISION,
    "device": _pycdc.OPTION_DEVICE,
    "residual": _pycdc.OPTION_RESIDUAL,
    "target_bpp": _pycdc.OPTION_TARGET_BPP,
}
_PRECISIONS = {"fp32": 0, "bf16": 1}
_DEVICES = {"cpu": 0, "cuda": 1}
_INTEGER_OPTIONS = {"threads", "steps", "seed", "max_pixels", "tile", "tile_overlap", "effort"}


def _option_id(name):
    try:
        return _OPTIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown option {name!r}; options are {', '.join(_OPTIONS)}"
        ) from None


def _option_value(name, value):
    if name == "precision":
        if value is None:
            return 0.0
        if value not in _PRECISIONS:
            raise ValueError(f"precision must be 'fp32' or 'bf16', not {value!r}")
        return float(_PRECISIONS[value])
    if name == "device":
        if value is None:
            return 0.0
        if value not in _DEVICES:
            raise ValueError(f"device must be 'cpu' or 'cuda', not {value!r}")
        return float(_DEVICES[value])
    if name == "gamma":
        if value is None:
            return -1.0
        if isinstance(value, bool) or not isinstance(value, (int, float, _np.integer, _np.floating)):
            raise TypeError(f"gamma must be a number or None, not {type(value).__name__}")
        return float(value)
    if name in ("residual", "target_bpp"):
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float, _np.integer, _np.floating)):
            raise TypeError(f"{name} must be a number or None, not {type(value).__name__}")
        return float(value)
    if name == "steps" and value is None:
        return 0.0
    if name == "threads" and value is None:
        return 0.0
    if name in ("tile", "tile_overlap") and value is None:
        return -1.0
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    return float(value)


class Context:
    """Reusable options and working state for encode/decode calls.

    Options (all optional keywords, also settable as attributes):
        threads: computation threads, 0 = all cores (default).
        steps: diffusion decoding steps, 0/None = the model's default.
        gamma: start noise scale of decoding; 0 = deterministic; None = the
            model's default.
        seed: seed of the noise when gamma > 0.
        max_pixels: the largest image accepted (a guard against absurd sizes).
        tile: tile side in pixels for bounded memory; 0 = the whole image at
            once; None/-1 = automatic (default).
        tile_overlap: context each tile sees beyond its core, in pixels;
            None/-1 = automatic (default).
        effort: encoder effort 0..4 (default 0): higher levels refine the
            latents of each image through the decoder (slower encoding, better
            rate-distortion; any decoder reads the result).
        residual: the residual layer's quantizer step in 8-bit levels
            (0.25..255; 0/None = none, default): the encoder also codes what
            the model's decoded image misses of the original, so the stream
            decodes closer to it at more bits (smaller = more bits).
        target_bpp: encode each image as close to this rate (bits per pixel)
            as the residual layer's step allows (0/None = off, default).
        precision: decoding arithmetic, "fp32" (default) or "bf16" (only on
            CPUs with native bfloat16; elsewhere UnsupportedError).
        device: where the networks run, "cpu" (default) or "cuda" (where
            libcdc's libtorch has CUDA and a GPU is visible; elsewhere
            UnsupportedError). Streams written on one decode on the other.
        progress: a callable receiving a :class:`Progress`; returning False
            cancels (CancelledError); an exception it raises cancels the call
            and is re-raised by encode/decode.

    A context serves one thread at a time (a second concurrent call raises
    RuntimeError); make one per thread. :meth:`cancel` may be called from any
    thread to stop the running call.
    """

    def __init__(self, threads=0, steps=0, gamma=None, seed=0, max_pixels=None, progress=None,
                 tile=None, tile_overlap=None, effort=0, precision="fp32", device="cpu",
                 residual=0, target_bpp=0):
        self._ctx = _pycdc.Context()
        self.threads = threads
        self.steps = steps
        self.gamma = gamma
        self.seed = seed
        if max_pixels is not None:
            self.max_pixels = max_pixels
        self.tile = tile
        self.tile_overlap = tile_overlap
        self.effort = effort
        self.residual = residual
        self.target_bpp = target_bpp
        if precision != "fp32":
            self.precision = precision
        if device != "cpu":
            self.device = device
        self.progress = progress

    def _set(self, name, value):
        self._ctx.set_option(_OPTIONS[name], _option_value(name, value))

    def _get(self, name):
        value = self._ctx.get_option(_OPTIONS[name])
        return int(value) if name in _INTEGER_OPTIONS else value

    threads = property(lambda self: self._get("threads"), lambda self, v: self._set("threads", v))
    steps = property(lambda self: self._get("steps"), lambda self, v: self._set("steps", v))
    seed = property(lambda self: self._get("seed"), lambda self, v: self._set("seed", v))
    max_pixels = property(
        lambda self: self._get("max_pixels"), lambda self, v: self._set("max_pixels", v)
    )
    tile = property(lambda self: self._get("tile"), lambda self, v: self._set("tile", v))
    tile_overlap = property(
        lambda self: self._get("tile_overlap"), lambda self, v: self._set("tile_overlap", v)
    )
    effort = property(lambda self: self._get("effort"), lambda self, v: self._set("effort", v))
    residual = property(
        lambda self: self._get("residual"), lambda self, v: self._set("residual", v)
    )
    target_bpp = property(
        lambda self: self._get("target_bpp"), lambda self, v: self._set("target_bpp", v)
    )

    @property
    def precision(self):
        """Decoding arithmetic: "fp32" or "bf16"."""
        return "bf16" if self._ctx.get_option(_OPTIONS["precision"]) == 1 else "fp32"

    @precision.setter
    def precision(self, value):
        self._set("precision", value)

    @property
    def device(self):
        """Where the networks run: "cpu" or "cuda"."""
        return "cuda" if self._ctx.get_option(_OPTIONS["device"]) == 1 else "cpu"

    @device.setter
    def device(self, value):
        self._set("device", value)

    @property
    def gamma(self):
        """The gamma option; None stands for the model's default."""
        value = self._get("gamma")
        return None if value < 0 else value

    @gamma.setter
    def gamma(self, value):
        self._set("gamma", value)

    @property
    def progress(self):
        cb = self._ctx.progress()
        return None if cb is None else cb.user_callback

    @progress.setter
    def progress(self, callback):
        self._ctx.set_progress(_wrap_progress(callback))

    def options(self):
        """The current options as a dict."""
        return {name: getattr(self, name) for name in _OPTIONS}

    def set(self, **options):
        """Sets several options at once; unknown names raise TypeError."""
        for name, value in options.items():
            if name != "progress" and name not in _OPTIONS:
                raise TypeError(
                    f"unknown option {name!r}; options are {', '.join(_OPTIONS)}, progress"
                )
            setattr(self, name, value)
        return self

    @property
    def last_error(self):
        """libcdc's message for the last failed call on this context, or ""."""
        return self._ctx.last_error()

    def cancel(self):
        """Asks the call running on this context (in another thread) to stop;
        it then raises CancelledError."""
        self._ctx.cancel()

    @_contextlib.contextmanager
    def _progress_for_call(self, progress):
        """A per-call progress callback that overrides the context's for the
        duration of the with block (None keeps the context's)."""
        if progress is None:
            yield
            return
        saved = self._ctx.progress()
        self._ctx.set_progress(_wrap_progress(progress))
        try:
            yield
        finally:
            self._ctx.set_progress(saved)

    def encode(self, array, model=None, progress=None, icc=None, exif=None, xmp=None):
        """Compresses an image (see :func:`encode`) and returns the .cdc stream as bytes."""
        pixels = _as_pixels(array)
        blocks = _metadata_blocks(icc, exif, xmp)
        model = _resolve_model(model)
        with self._progress_for_call(progress):
            return self._ctx.encode(model._handle, pixels, **blocks)

    def decode(self, data, model=None, format=None, progress=None):
        """Decompresses a .cdc stream (see :func:`decode`) into a uint8 array."""
        channels = _channels_of(format)
        _check_stream_type(data)
        model = _resolve_model(model)
        with self._progress_for_call(progress):
            out = self._ctx.decode(model._handle, data, channels)
        if out.shape[2] == 1:
            out = out.reshape(out.shape[0], out.shape[1])
        return out

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"pycdc.Context({opts})"


# --- module-level functions --------------------------------------------------


def _check_stream_type(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        return
    if isinstance(data, str):
        raise TypeError("the stream must be bytes (or any buffer), not str")
    try:
        memoryview(data)
    except TypeError:
        raise TypeError(
            f"the stream must be bytes (or any buffer), not {type(data).__name__}"
        ) from None


_FORMATS = {
    None: 0,
    0: 0,
    1: 1,
    3: 3,
    4: 4,
    "gray": 1,
    "grey": 1,
    "l": 1,
    "rgb": 3,
    "rgba": 4,
}


def _channels_of(format):
    key = format.lower() if isinstance(format, str) else format
    try:
        return _FORMATS[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"format must be None (the stream's own), 'gray', 'rgb', 'rgba', 1, 3 or 4; "
            f"not {format!r}"
        ) from None


def _as_pixels(array):
    """Checks an image array; returns an array libcdc can read (copying only if needed)."""
    if not isinstance(array, _np.ndarray):
        if hasattr(array, "__array_interface__") or hasattr(array, "__array__"):
            array = _np.asarray(array)
        else:
            raise TypeError(
                f"the image must be a numpy uint8 array (HxW, HxWx1, HxWx3 or HxWx4), "
                f"not {type(array).__name__}"
            )
    if array.dtype != _np.uint8:
        raise TypeError(
            f"the image must have dtype uint8, not {array.dtype}; convert it first, e.g. "
            f"np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8) for floats in [0, 1]"
        )
    if array.ndim == 2:
        pass
    elif array.ndim == 3:
        if array.shape[2] not in (1, 3, 4):
            raise ValueError(
                f"the image must have 1, 3 or 4 channels (gray, RGB, RGBA), not "
                f"{array.shape[2]} (shape {array.shape})"
            )
    else:
        raise ValueError(
            f"the image must be HxW or HxWxC (C = 1, 3 or 4), not {array.ndim}-D "
            f"(shape {array.shape})"
        )
    h, w = array.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"the image is empty (shape {array.shape})")
    if h > _pycdc.MAX_DIMENSION or w > _pycdc.MAX_DIMENSION:
        raise ValueError(
            f"the image ({w}x{h}) exceeds libcdc's limit of {_pycdc.MAX_DIMENSION} pixels per side"
        )
    c = array.shape[2] if array.ndim == 3 else 1
    s = array.strides
    rows_ok = (
        (w == 1 or s[1] == c)
        and (array.ndim == 2 or c == 1 or s[2] == 1)
        and (h == 1 or s[0] >= w * c)
    )
    if not rows_ok:
        # Negative strides, channel-planar layouts, column views...: one copy.
        array = _np.ascontiguousarray(array)
    return array


_EXIF_PREFIX = b"Exif\x00\x00"


def _metadata_blocks(icc, exif, xmp):
    """Checks the metadata arguments of encode(); returns them as bytes (or None)."""
    blocks = {}
    for name, value in (("icc", icc), ("exif", exif), ("xmp", xmp)):
        if value is None:
            blocks[name] = None
            continue
        if name == "xmp" and isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"{name} must be bytes{' or str' if name == 'xmp' else ''} or None, "
                f"not {type(value).__name__}"
            )
        value = bytes(value)
        if name == "exif" and value.startswith(_EXIF_PREFIX):
            value = value[len(_EXIF_PREFIX):]  # as in JPEG's APP1 (and Pillow's info["exif"])
        if len(value) > METADATA_MAX_SIZE:
            raise ValueError(
                f"{name} is {len(value)} bytes; a .cdc stream holds at most "
                f"{METADATA_MAX_SIZE} per block"
            )
        blocks[name] = value or None
    return blocks


def encode(array, model=None, icc=None, exif=None, xmp=None, **options):
    """Compresses an image into a .cdc stream.

    array: a uint8 numpy array, HxW or HxWx1 (gray), HxWx3 (RGB) or HxWx4
        (RGBA, alpha kept losslessly). Any strides: arrays whose pixels are
        not contiguous within rows are copied first.
    model: a :class:`Model`, a built-in name, a model file path, or None for
        the built-in default.
    icc, exif, xmp: metadata stored unchanged in the stream (bytes; None or
        empty: none): an ICC profile, the EXIF block (a leading b"Exif\\0\\0",
        as in JPEG and Pillow's ``info["exif"]``, is removed) and the XMP
        packet (bytes or str). Each at most :data:`METADATA_MAX_SIZE` bytes.
        With any of them the stream is format version 2, else version 1.
    options: threads, steps, gamma, seed, max_pixels, tile, tile_overlap,
        effort, residual, target_bpp, precision, device, progress (see
        :class:`Context`).

    Returns the stream as bytes.
    """
    return Context().set(**options).encode(array, model, icc=icc, exif=exif, xmp=xmp)


def decode(data, model=None, format=None, **options):
    """Decompresses a .cdc stream into a uint8 numpy array.

    data: bytes (or any contiguous buffer) of a .cdc stream.
    model: the model the stream was made with (see :func:`encode`); another
        model raises ModelMismatchError.
    format: None for the stream's own layout (HxW for gray, HxWx3, HxWx4), or
        "gray", "rgb", "rgba" to convert.
    options: threads, steps, gamma, seed, max_pixels, tile, tile_overlap,
        precision, device, progress.
    """
    return Context().set(**options).decode(data, model, format)


def info(data):
    """Reads the header of a .cdc stream without decoding it.

    Returns a dict: width, height, channels, format_version, model_id,
    stream_size, header_size, payload_size, metadata_size, residual_size,
    residual_step, residual_base_steps, estimated_bits,
    bpp (bits per pixel of the whole stream) and metadata (as
    :func:`metadata` returns it).
    """
    _check_stream_type(data)
    d = _pycdc.stream_info(data)
    pixels = d["width"] * d["height"]
    d["bpp"] = 8.0 * d["stream_size"] / pixels if pixels else float("nan")
    d["metadata"] = _pycdc.stream_metadata(data)
    return d


def metadata(data):
    """The metadata blocks a .cdc stream carries, as a dict of bytes with the
    keys "icc" (ICC profile), "exif" (the EXIF TIFF structure, without the
    b"Exif\\0\\0" prefix) and "xmp" (the XMP packet), present blocks only: {}
    for a stream without metadata. The whole stream is checked first
    (StreamError subclasses when it is damaged)."""
    _check_stream_type(data)
    return _pycdc.stream_metadata(data)


from . import metrics  # noqa: E402,F401  (numpy only; pycdc.eval is imported on demand)
from ._io import imread, imwrite  # noqa: E402

# The Pillow plugin: PIL.Image.open("x.cdc") and im.save("x.cdc") (when Pillow
# is installed).
try:
    from . import pillow as _pillow  # noqa: E402
except ImportError:
    pass
else:
    _pillow.register()
