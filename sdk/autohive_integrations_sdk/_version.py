"""The SDK's version, reported in every ``IntegrationResult``. Its major
number is the reference API it implements (2.x)."""

__version__ = "2.0.0"
