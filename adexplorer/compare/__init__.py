"""AD beside its rivals: finite differences and symbolic differentiation.

``fd_study`` (errors of finite differences over a range of steps, with the
truncation/round-off model), ``symbolic`` (hash-consed expression DAGs and
textbook-rule differentiation) and ``swell`` (expression swell measurements).

May import: ``base``, ``core``, ``lang``.
"""
