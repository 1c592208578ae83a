# Model files (models/<name>.cdcm) embedded into libcdc, the default first.
# They are produced by training/ (see models/README.md).
set(CDC_BUILTIN_MODELS default-mid default-low)
