"""The base layer: what every other layer stands on.

Errors with source positions (``errors``, ``source``), number formatting
(``numbers``), types and broadcasting (``shapes``), finding the shipped grammar
and lessons (``resources``), reading files safely and writing them atomically
(``files``), input values from data files (``value_files``) and limits (``limits``).

May import: nothing of adexplorer (only the standard library and numpy).
"""
