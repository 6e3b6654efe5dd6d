"""The base layer: what every other layer stands on.

Errors with source positions (``errors``, ``source``), number formatting
(``numbers``), types and broadcasting (``shapes``), finding the shipped grammar
and lessons (``resources``), and writing files atomically (``files``).

May import: nothing of adexplorer (only the standard library and numpy).
"""
