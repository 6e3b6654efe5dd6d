"""``adx serve``'s web server: the explorer and the lesson player in a browser.

``server`` (ClassroomServer: textual-serve's server with a cap on concurrent
sessions, same-origin websockets only, and each session a child process started
from an argument list, never through a shell).  Imported only by ``adx serve``,
and only when textual-serve (the ``serve`` extra) is installed.

May import: ``base``, and the third-party textual_serve and aiohttp.
"""
