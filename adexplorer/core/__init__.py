"""The core: the primitive table, the typed Wengert list and the AD engines.

``primitives`` (every primitive's evaluation, JVP, VJP and display formula side
by side), ``cost`` (the operation-count model), ``ir`` (nodes and graphs),
``engines/`` (generators of step records: evaluate, forward, reverse, finite
differences), ``trace`` (results folded from the steps), ``formulas`` (the one
place step formulas are rendered as text) and ``descent`` (gradient descent).

May import: ``base``.  Never lark, rich or textual.
"""
