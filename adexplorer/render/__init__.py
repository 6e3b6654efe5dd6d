"""Rich renderables shared by the CLI and the TUI.

``trace_tables`` (primal, tangent and adjoint tables, results), ``cost`` (the
cost model: operations per sweep, bounds, Jacobian sweeps),
``compare_tables`` (finite-difference and swell tables) and ``plots``
(plotext charts as text).  Views only: nothing here computes a derivative.

May import: ``base``, ``core``, ``lang``, ``compare``, ``reports``; rich and plotext.
"""
