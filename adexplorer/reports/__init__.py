"""JSON reports: the machine-readable contracts of adx's commands.

``eval`` (``adx.eval/1``) and ``compare`` (``adx.fd/1``, ``adx.swell/1``):
plain dictionaries ready for ``json.dumps``.

May import: ``base``, ``core``, ``lang``, ``compare``.  Never rich or textual.
"""
