"""The explorer's model, free of any toolkit.

``session`` (source → graph → trace, and what the student changes: the facade
the Textual view calls), ``frames`` (the steps a trace is animated in, and what
is known after some of them), ``playback`` (the current frame and the speed),
``export`` (the trace as JSON or text), ``layout`` (the layered drawing of a
graph on a grid), ``value_texts`` (tensors' summaries, made once per array),
``training`` (SGD as ``adx train`` runs it, a step at a time, for a worker
thread) and ``loss_curve`` (the losses drawn in braille dots).  Unit-tested
without Textual.

May import: ``base``, ``core``, ``lang``, ``compare``, ``reports``.
"""
