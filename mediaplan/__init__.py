"""mediaplan: monitor and plan the communication of a provincial plan (NQ 71-NQ/TW)."""

__version__ = "0.1.0"
