"""The Textual apps: the explorer view both apps compose, its widgets, screens and messages.

Imported only by ``adx`` / ``adx explore`` / ``adx lesson open``, never by ``adx eval``.

May import: every layer but ``cli``.
"""
