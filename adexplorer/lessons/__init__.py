"""Lessons: a Markdown lesson format, its parser and checker, progress, and the built-in course.

See docs/lesson-format.md.  Lesson files are data: nothing in them runs code;
programs go through the adx grammar and answers are computed by the engines.

May import: ``base``, ``core``, ``lang``, ``compare``.  Never ``explorer``, ``render`` or
``tui``: lessons compute answers with the engines, not with a UI session.
"""
