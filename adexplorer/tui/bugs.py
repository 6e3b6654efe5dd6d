"""Errors in the apps: the student's become notifications; a bug never becomes a traceback.

* An :class:`~adexplorer.base.errors.AdxError` is something wrong in what the
  student typed: :func:`notify_error` shows it (plain text, never markup).
* Anything else is a bug in adx.  Where the apps catch one (every key, message
  and background computation goes through a guard), :func:`report_bug` shows a
  one-line notification asking for a report, logs the traceback to Textual's
  log, and the app keeps running.
* A bug that escapes every guard still ends the app, but :class:`NoTraceback`
  makes it end without Textual's full-screen traceback: :func:`run_app` re-raises
  the exception and ``adx``'s main turns it into its one-line report (exit 3).
"""

from __future__ import annotations

import traceback
from typing import Any

from textual import events
from textual.app import App
from textual.widget import Widget

from adexplorer.base.errors import AdxError
from adexplorer.base.text import excerpt, visible

#: Words every bug notification contains (the fuzz tests look for them).
BUG = "a bug in adx"


def notify_error(node: Widget | App[Any], error: AdxError) -> None:
    """Show a user error (what is wrong, and the hint) as a notification."""
    node.notify(
        visible(error.message + (f" ({error.hint})" if error.hint else "")),
        severity="error",
        timeout=6,
        markup=False,
    )


def bug_message(error: BaseException) -> str:
    return excerpt(f"{type(error).__name__}: {error}", 200)


def report_bug(node: Widget | App[Any], error: BaseException) -> None:
    """A bug was caught: tell the student in one line, log the traceback, keep running."""
    node.app.log.error("".join(traceback.format_exception(error)))
    node.notify(
        visible(f"{BUG} ({bug_message(error)}); please report it. The explorer keeps running."),
        severity="error",
        timeout=12,
        markup=False,
    )


def handle(node: Widget | App[Any], error: BaseException) -> None:
    """An exception from a change or a computation: the student's, or a bug."""
    if isinstance(error, AdxError):
        notify_error(node, error)
    else:
        report_bug(node, error)


class NoTraceback(App[Any]):
    """An app that ends on an uncaught exception without printing Textual's traceback
    (with its local variables, over a whole screen); :func:`run_app` reports it instead."""

    async def on_event(self, event: events.Event) -> None:
        # A key that was on its way through the screen below when a dialog opened (typed
        # right after the key that opened it) would reach the dialog's bindings with
        # nothing of its own: a dialog with ``take_early_key`` (the seed dialog) takes it.
        if isinstance(event, events.Key) and event.is_forwarded:
            take = getattr(self.screen, "take_early_key", None)
            if take is not None and take(event):
                event.stop()
                event.prevent_default()
                return
        await super().on_event(event)

    def _fatal_error(self) -> None:  # Textual's hook for an unhandled exception
        self.bell()
        self._close_messages_no_wait()


def run_app(app: NoTraceback) -> None:
    """Run ``app``; if a bug ended it, raise that bug for ``adx``'s one-line report (exit 3)."""
    app.run()
    error = app._exception
    if error is not None:
        cause = getattr(error, "error", None)  # a WorkerFailed carries the worker's exception
        raise cause if isinstance(cause, BaseException) else error
