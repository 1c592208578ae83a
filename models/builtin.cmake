# Model files (models/<name>.cdcm) embedded into libcdc, the default first.
# They are produced by training/ (see models/README.md).
set(CDC_BUILTIN_MODELS default-mid default-low default-xlow default-high)
# The quality ladder (--quality, cdc_builtin_model_for_quality): built-in
# models in increasing rate; qualities 1..100 are split evenly among them.
set(CDC_BUILTIN_LADDER default-xlow default-low default-mid default-high)
