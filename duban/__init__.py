"""duban 督办: supervision and follow-up for city and county government offices."""

__version__ = "0.1.0"
