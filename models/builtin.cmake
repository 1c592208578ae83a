# Model files (models/<name>.cdcm) embedded into libcdc, the default first.
set(CDC_BUILTIN_MODELS)
