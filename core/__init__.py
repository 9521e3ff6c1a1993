"""The panel's lowest layer: what every other layer may use and what needs nothing from the
panel itself (no models, no services, no Flask views). Today: the encryption primitives.
Layers above: models -> services -> forms/views (docs/architecture.md, import-linter
contracts in pyproject.toml)."""
