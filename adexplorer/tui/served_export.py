"""What the explorer says after an export, and, in a session of ``adx serve``, the
export sent to the student's browser as a download (``export_notice``).

A served session's exports are written in the served folder (``ADX_SERVE_DIR``),
on the server: a path there means nothing to a student at a browser, so the file
is also delivered to the browser (Textual's ``App.deliver_binary``, which
textual-serve turns into a download) and the message names the file, not the
server's path.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from adexplorer.base.files import serve_dir


def export_notice(app: App[object], path: Path) -> str:
    """Deliver ``path`` to the browser if ``app`` is served to one; the message to show."""
    if serve_dir() is None:
        return f"saved {path}"
    if app.is_web:
        try:
            app.deliver_binary(path, save_filename=path.name)
        except OSError as error:
            unsent = f"not sent to your browser: {error.strerror}"
            return f"saved {path.name} in the class folder ({unsent})"
        return f"saved {path.name} in the class folder and sent to your browser"
    # served, but not drawn by a browser (a test's headless driver)
    return f"saved {path.name} in the class folder ({path.parent})"
