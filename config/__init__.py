"""Installed as ``apiary.defaults``: the shipped host configuration
(``apiary.toml``) and the JSON Schema of an integration's config.json
(``integration.schema.json``). Read with ``importlib.resources``."""
