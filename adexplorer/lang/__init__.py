"""The adx language: text to typed graph and back.

``parse`` (the LALR parser built from ``grammars/adx.lark``, errors in words
with a caret), ``lower`` (parse tree to ``Graph``: names, types, constants,
scheduling) and ``printer`` (a graph as an adx program).

May import: ``base``, ``core``.  The only layer that uses lark.
"""
