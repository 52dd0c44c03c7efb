"""imagewright: build, sanitize, scan and gate Linux machine images locally."""

__version__ = "0.1.0"
