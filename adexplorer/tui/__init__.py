"""The Textual apps: the explorer view both apps compose, its widgets, screens and messages.

``explorer_view`` (ExplorerView: the explorer's widgets, keys and actions over a
``Session``), ``app`` (ExplorerApp: the view and a footer), ``lesson_app``
(LessonApp: a lesson panel beside the view), ``keys`` (an app's keys for its help
screen and command palette), ``messages`` (what widgets post up), ``widgets/``
(one widget per module) and ``screens/`` (help).

Imported only by ``adx`` / ``adx explore`` / ``adx lesson open``, never by ``adx eval``.

May import: every layer but ``cli``.
"""
