"""The ``adx`` command line (click).  Rich is imported only when a table is printed,
and Textual only by the explorer, so scripted commands start quickly."""
