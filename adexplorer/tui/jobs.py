"""Background computations: compiling what was typed, a finite-difference study, swell.

A :class:`Job` runs one computation at a time in a daemon thread, so the
interface never waits for it:

* **the latest request wins**: a request made while another runs waits for it
  (at most one thread per job, whatever the student does), and replaces any
  request that was waiting;
* **cancel** drops the running request's result and the waiting request; the
  thread cannot be stopped from outside, so it finishes its (bounded, see
  docs/limits.md) work in the background and its result is thrown away;
* results and errors are handed over on the app's event loop, never in the thread.

The thread is a daemon so that quitting never waits for it.  A Textual worker
(an asyncio task) drives each job, so tests wait for every computation with
``await app.workers.wait_for_complete()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker

T = TypeVar("T")


def in_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """Run ``work`` in a new daemon thread; its result (or exception) arrives in the future."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled: nobody waits for it any more
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = work()
        except BaseException as caught:  # handed to the loop, which decides what it is
            error = caught
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="adx-compute", daemon=True).start()
    return future


class Job(Generic[T]):
    """One kind of background computation of ``owner``'s (see the module docstring).

    ``deliver`` gets each result that is still wanted, ``fail`` each exception
    (an AdxError is the user's; anything else is a bug), both on the event loop.
    """

    def __init__(
        self,
        owner: DOMNode,
        name: str,
        deliver: Callable[[T], None],
        fail: Callable[[BaseException], None],
    ) -> None:
        self._owner = owner
        self._name = name
        self._deliver = deliver
        self._fail = fail
        self._generation = 0  # bumped by submit and cancel: older results are dropped
        self._waiting: tuple[int, Callable[[], T]] | None = None
        self._wanted: int | None = None  # the generation whose thread runs, if still wanted
        self._worker: Worker[None] | None = None

    @property
    def busy(self) -> bool:
        """A request waits or is being computed, and has not been cancelled."""
        return self._waiting is not None or self._wanted is not None

    @property
    def running(self) -> bool:
        """A thread computes (perhaps for a request that was cancelled)."""
        return self._worker is not None and not self._worker.is_finished

    def submit(self, work: Callable[[], T]) -> None:
        """Compute ``work()`` as soon as the thread is free; it replaces a waiting request."""
        self._generation += 1
        self._waiting = (self._generation, work)
        if not self.running:
            self._worker = self._owner.run_worker(
                self._drain, name=f"adx-{self._name}", group=f"adx-{self._name}"
            )

    def cancel(self) -> bool:
        """Drop the waiting request and the running one's result; True if there was one."""
        was_busy = self.busy
        self._generation += 1
        self._waiting = None
        self._wanted = None
        return was_busy

    async def _drain(self) -> None:
        while self._waiting is not None:
            generation, work = self._waiting
            self._waiting = None
            self._wanted = generation
            try:
                result = await in_thread(work)
            except Exception as error:
                if self._take(generation):
                    self._fail(error)
                continue
            if self._take(generation):
                try:
                    self._deliver(result)
                except Exception as error:  # a bug while showing the result
                    self._fail(error)

    def _take(self, generation: int) -> bool:
        """Whether the result of ``generation`` is still wanted (and it is no longer waited on)."""
        if self._wanted != generation or generation != self._generation:
            if self._wanted == generation:
                self._wanted = None
            return False
        self._wanted = None
        return True
