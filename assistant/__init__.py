"""ritual: an offline voice companion for daily self-connection rituals."""

__version__ = "0.1.0"
