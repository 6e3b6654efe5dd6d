"""The explorer's model, free of any toolkit.

``session`` (source → graph → trace → frames → current step, and what the
student changes) and ``layout`` (the layered drawing of a graph on a grid).
Unit-tested without Textual.

May import: ``base``, ``core``, ``lang``, ``compare``, ``reports``.
"""
