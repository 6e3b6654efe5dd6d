"""The adx language: text to typed graph and back.

``parse`` (the LALR parser generated from ``grammars/adx.lark`` into
``_parser_standalone`` by ``tools/regen_parser.py``; errors in words with a
caret), ``lower`` (parse tree to ``Graph``, one method per grammar alias: names,
types, constants, scheduling) and ``printer`` (a graph as an adx program).

May import: ``base``, ``core``.  The only layer that uses lark, and only the
generated standalone copy of lark's runtime: the lark package is not imported.
"""
