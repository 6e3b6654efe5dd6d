"""Derivative code by source transformation: adx programs written out as numpy modules.

``straight`` writes the forward (JVP) or reverse (VJP) program of a Wengert list
(a ``core.ir.Graph``) with the trace's names; ``structured`` keeps a program's
``if`` and ``for`` and, in reverse mode, saves what the reverse sweep needs on a
stack (``returns`` first rewrites early returns for it); ``emit`` turns one
operation into its primal, tangent and adjoint statements through the primitive
table's numpy texts; ``names`` makes valid,
unique Python identifiers and exact literals; ``code`` holds the result
(``GeneratedCode``: the text and, for each line, the node or source line it
belongs to).  Pure functions returning text: nothing here prints.

May import: ``base``, ``core``, ``lang``.  Never rich or textual.
"""

from adexplorer.codegen.code import CodeLine, GeneratedCode
from adexplorer.codegen.generate import MODES, generate, generate_source

__all__ = ["MODES", "CodeLine", "GeneratedCode", "generate", "generate_source"]
