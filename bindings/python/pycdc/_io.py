"""File-level helpers of pycdc: model caching, the quality-to-model mapping,
picking the model of a stream, and :func:`imread` / :func:`imwrite`.

Used by the Pillow plugin (:mod:`pycdc.pillow`), by ``python3 -m pycdc.batch``
and by ``python3 -m pycdc.eval``.
"""

import functools
import hashlib
import os
import tempfile
import threading

import numpy as np

#: The first 8 bytes of every .cdc stream.
MAGIC = b"\x89CDC\r\n\x1a\n"


@functools.lru_cache(maxsize=None)
def _quality_models():
    """((low, high, name), ...): the qualities 0..100 that pick each built-in
    model of the library's quality ladder (cdc_builtin_model_for_quality;
    0 is taken as 1, Pillow's range starting at 0)."""
    from . import _pycdc

    ranges = []
    for q in range(0, 101):
        name = _pycdc.builtin_model_for_quality(max(1, q))
        if name is None:
            continue
        if ranges and ranges[-1][2] == name:
            ranges[-1][1] = q
        else:
            ranges.append([q, q, name])
    return tuple(tuple(r) for r in ranges)


#: QUALITY_MODELS: quality= (0..100, Pillow's convention) -> built-in model
#: (the base model of ``cdc encode --quality``; the quality also sets the
#: residual layer's step: :func:`quality_settings`). Computed on
#: first use (the module's __getattr__): asking the library for its models
#: loads its engine and libtorch, which ``import pycdc`` should not.
def __getattr__(name):
    if name == "QUALITY_MODELS":
        return _quality_models()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_lock = threading.Lock()
_files = {}  # (realpath, mtime_ns, size) -> Model
_blobs = {}  # sha256 hex of a model file's bytes -> Model


def model_for_quality(quality):
    """The built-in model name that ``quality`` (an int 0..100) maps to
    (see :data:`QUALITY_MODELS`)."""
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
        raise TypeError(f"quality must be an integer 0..100, not {type(quality).__name__}")
    for low, high, name in _quality_models():
        if low <= quality <= high:
            return name
    raise ValueError(f"quality must be 0..100, not {quality}")


def quality_settings(quality):
    """(model name, residual step) of a quality 0..100 (0 is taken as 1), as
    ``cdc encode --quality`` and cdc_quality_settings map it: the built-in
    base model alone at the lowest qualities, then with a residual layer
    whose step halves every 18 qualities."""
    from . import _pycdc

    name = model_for_quality(quality)
    settings = _pycdc.quality_settings(max(1, int(quality)))
    return name, (settings[1] if settings is not None else 0.0)


def choose_model(model=None, quality=None):
    """The model spec for ``model=`` and ``quality=`` (at most one of them)."""
    if quality is None:
        return model
    if model is not None:
        raise ValueError("pass either model= or quality= (which picks a built-in model and a "
                         "residual step), not both")
    return model_for_quality(quality)


def quality_options(quality, options):
    """options with the residual step of ``quality`` (None: unchanged); an
    explicit residual= or target_bpp= wins."""
    if quality is None or "residual" in options or "target_bpp" in options:
        return options
    return dict(options, residual=quality_settings(quality)[1])


def cached_model(spec):
    """A :class:`pycdc.Model` for ``spec``, loaded once per process.

    spec: None (the built-in default), a Model, a built-in name, a model
    file path (reloaded when the file changes), or ``("sha256", digest,
    data)``: the bytes of a model file (how model files travel to the workers
    of a cluster).
    """
    import pycdc

    if spec is None or isinstance(spec, pycdc.Model):
        return pycdc._resolve_model(spec)
    if isinstance(spec, tuple) and len(spec) == 3 and spec[0] == "sha256":
        _, digest, data = spec
        with _lock:
            model = _blobs.get(digest)
            if model is None:
                model = pycdc.Model.from_bytes(data)
                _blobs[digest] = model
            return model
    text = os.fsdecode(os.fspath(spec))
    if text in pycdc.models():
        return pycdc._resolve_model(text)  # built-ins are cached by pycdc
    try:
        st = os.stat(text)
    except OSError:
        return pycdc.Model(text)  # libcdc's own message for a missing file / unknown name
    key = (os.path.realpath(text), st.st_mtime_ns, st.st_size)
    with _lock:
        model = _files.get(key)
        if model is None:
            model = pycdc.Model(text)
            _files[key] = model
        return model


def portable_model_spec(spec):
    """A model spec that works on another machine: built-in names and None as
    they are, a model file as ``("sha256", digest, bytes)``."""
    import pycdc

    if spec is None:
        return None
    if isinstance(spec, pycdc.Model):
        raise TypeError("pass a model by name or path (a loaded Model cannot be sent to workers)")
    text = os.fsdecode(os.fspath(spec))
    if text in pycdc.models():
        return text
    with open(text, "rb") as f:
        data = f.read()
    return ("sha256", hashlib.sha256(data).hexdigest(), data)


def model_for_stream(data, model=None):
    """The model to decode ``data`` with: ``model`` when given, else the
    built-in model whose id the stream carries (else the default, which then
    raises ModelMismatchError on decoding)."""
    import pycdc

    if model is not None:
        return cached_model(model)
    wanted = pycdc.info(data)["model_id"]
    for name in pycdc.models():
        candidate = cached_model(name)
        if candidate.id == wanted:
            return candidate
    return pycdc.default_model()


def is_cdc(path):
    """True when the file starts with the .cdc magic."""
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def atomic_write(path, data):
    """Writes bytes to path through a temporary file in the same folder, so
    that an interrupted write never leaves a partial file under that name."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    try:  # Linux: read it without changing it (os.umask is process-wide)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading and writing PNG/JPEG files needs Pillow "
                          "(Debian: apt-get install python3-pil)") from None
    return Image


def pil_to_array(im):
    """A Pillow image as a uint8 array of pycdc's layouts: HxW (L), HxWx3
    (RGB) or HxWx4 (RGBA); other modes are converted (palette and LA keep
    their transparency as RGBA; 16-bit and float images are refused)."""
    mode = im.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        raise ValueError(f"{mode} images (16-bit or float) are not supported: pycdc takes 8-bit "
                         f"images; convert to L, RGB or RGBA first")
    if mode == "1":
        im = im.convert("L")
    elif mode in ("LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
    elif mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode not in ("L", "RGB", "RGBA"):
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.uint8).copy()


def imread(path, model=None, format=None, **options):
    """Reads an image file into a uint8 numpy array.

    A .cdc file (recognised by its first bytes) is decoded by libcdc: model
    None picks the built-in model the stream was made with; format and
    options (threads, steps, gamma, seed, max_pixels, progress) are those of
    :func:`pycdc.decode`. Any other file (PNG, JPEG, ...) is read by Pillow:
    HxW for gray, HxWx3 for RGB, HxWx4 with transparency.
    """
    import pycdc

    if is_cdc(path):
        with open(path, "rb") as f:
            data = f.read()
        return pycdc.decode(data, model_for_stream(data, model), format=format, **options)
    if model is not None or options:
        raise TypeError("model and decoding options apply to .cdc files only")
    Image = _pil_image()
    with Image.open(path) as im:
        array = pil_to_array(im)
    if format is not None:
        channels = pycdc._channels_of(format)
        if channels and channels != (array.shape[2] if array.ndim == 3 else 1):
            mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
            array = np.asarray(Image.fromarray(array).convert(mode), dtype=np.uint8).copy()
    return array


def imwrite(path, array, model=None, quality=None, **options):
    """Writes a uint8 numpy array (HxW, HxWx1, HxWx3, HxWx4) to an image file.

    A path ending in ``.cdc`` (any case) is encoded by libcdc: model (a
    built-in name, a model file or a Model) or quality (0..100: a built-in
    model and a residual step, :func:`quality_settings`), and the options
    (threads, max_pixels, residual, target_bpp, progress) of
    :func:`pycdc.encode`. The file is replaced
    atomically. Any other suffix is written by Pillow, which takes the
    options (e.g. ``quality=90`` for JPEG).
    """
    import pycdc

    path = os.fspath(path)
    if os.fsdecode(path).lower().endswith(".cdc"):
        spec = choose_model(model, quality)
        data = pycdc.encode(array, cached_model(spec), **quality_options(quality, options))
        atomic_write(path, data)
        return
    if model is not None:
        raise TypeError("model= applies to .cdc files only")
    if quality is not None:
        options["quality"] = quality
    Image = _pil_image()
    pixels = pycdc._as_pixels(array)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, **options)
