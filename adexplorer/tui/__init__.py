"""The Textual explorer.  Imported only by ``adx`` / ``adx explore``, never by ``adx eval``."""
