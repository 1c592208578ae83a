# Model files (models/<name>.cdcm) embedded into libcdc, the default first.
# They are produced by training/ (see models/README.md).
set(CDC_BUILTIN_MODELS default-mid default-low default-xlow default-high)
# The quality ladder (--quality, cdc_quality_settings): built-in models in
# increasing rate. Every quality uses the first (the base model), the higher
# ones with a residual layer (cdc_quality_settings), which measured better
# than the ladder's higher-rate models at their own rates (models/README.md).
set(CDC_BUILTIN_LADDER default-xlow default-low default-mid default-high)
