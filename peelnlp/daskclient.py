"""A client of a dask.distributed scheduler, or one clear error within the connect timeout.

distributed's ``Client(address, timeout=…)`` bounds only the opening of the TCP connection: an
address that accepts the connection and then says nothing (a silent listener) leaves the client
waiting for the scheduler's first message forever. So the client is made asynchronously, on an
event loop in a daemon thread of its own, with a deadline on the whole exchange; a client that
fails is closed there, and the thread never keeps the program alive. Calls to the client from any
other thread are synchronous (distributed does this for a client shared with worker threads), so
the rest of the program uses it as an ordinary client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import Any

from .errors import InputError, PeelnlpError

DASK_CONNECT_TIMEOUT = 10.0  # seconds for a scheduler to answer; a running one answers at once
# The whole connect may take this much longer than the timeout given to distributed, whose own
# timeout then fires first when no connection could be made at all, with the reason (refused …).
_GRACE = 1.0
_NEEDS_DASK = "--dask needs dask.distributed; install it with: pip install 'peelnlp[dask]'"
_CHECK = "check the address (e.g. tcp://scheduler:8786) and that the scheduler is running"


def check_dask_address(address: str) -> None:
    """Refuse an address that is not ``[SCHEME://]HOST:PORT`` before any connection is tried."""
    try:
        from distributed.comm import get_address_host_port
    except ImportError:
        raise PeelnlpError(_NEEDS_DASK) from None
    if not address.strip():
        raise InputError(_bad_address(address, "it is empty"))
    try:
        host, port = get_address_host_port(address)
    except ValueError as exc:
        raise InputError(_bad_address(address, str(exc))) from None
    if not host or not 0 < port < 65536:
        raise InputError(_bad_address(address, "it needs a host and a port from 1 to 65535"))


def _bad_address(address: str, problem: str) -> str:
    return (f"--dask expects a scheduler address such as tcp://HOST:8786; found {address!r} ({problem}); "
            "give the address that `dask scheduler` prints")


class DaskClient:
    """``client``: a connected ``distributed.Client``; ``close()`` ends it and its thread."""

    def __init__(self, address: str, timeout: float) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise PeelnlpError(_NEEDS_DASK) from None
        # The loop is made here so that close() can reach it whenever it is called.
        self._runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)
        self._loop = self._runner.get_loop()
        self._ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._closing = asyncio.Event()
        self._thread = threading.Thread(target=self._serve, args=(Client, address, timeout),
                                        name="dask client", daemon=True)
        self._thread.start()
        try:
            # _start keeps the deadline; this wait's own is for a failed client that will not close.
            self.client = self._ready.result(timeout + 3 * _GRACE)
        except BaseException as exc:
            self._stop()  # a connect still under way then closes its client as soon as it ends
            if not isinstance(exc, Exception):
                raise  # Ctrl-C: no waiting for that
            self._thread.join(_GRACE)
            raise PeelnlpError(unreachable(address, timeout, exc)) from None

    def close(self) -> None:
        self._stop()
        self._thread.join(DASK_CONNECT_TIMEOUT)

    def _stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing is left to close
            self._loop.call_soon_threadsafe(self._closing.set)

    def _serve(self, client_class: type, address: str, timeout: float) -> None:
        with self._runner:  # closing the runner cancels whatever distributed left running
            self._runner.run(self._start(client_class, address, timeout))

    async def _start(self, client_class: type, address: str, timeout: float) -> None:
        client = None
        try:
            client = client_class(address, asynchronous=True, timeout=timeout, set_as_default=False)
            await asyncio.wait_for(client, timeout + _GRACE)
        except Exception as exc:
            self._ready.set_exception(exc)
        else:
            self._ready.set_result(client)
            await self._closing.wait()
        if client is not None:
            with contextlib.suppress(Exception):  # a scheduler gone by now has nothing to be told
                await client.close(timeout=timeout)


def unreachable(address: str, timeout: float, exc: Exception) -> str:
    """Why no client of ``address`` could be made, in the user's terms rather than distributed's."""
    from distributed.comm import CommClosedError

    if isinstance(exc, TimeoutError):
        found = f"it did not answer within {timeout:g} s"
    elif isinstance(exc, CommClosedError):
        found = "it closed the connection without answering as a dask scheduler"
    elif isinstance(exc, OSError):  # distributed's connect timeout: no TCP connection was made
        found = f"no connection within {timeout:g} s{_reason(exc)}"
    else:  # whatever it sent could not be read as a scheduler's message
        return (f"{address!r} did not answer as a dask scheduler (it sent something else); give the "
                "address that `dask scheduler` prints (port 8786 by default), not another service's")
    return f"cannot reach a dask scheduler at {address!r} ({found}); {_CHECK}"


def _reason(exc: BaseException) -> str:
    """The last attempt's reason (``Connection refused``, ``Name or service not known`` …), if any."""
    reason = ""
    seen: BaseException | None = exc.__cause__
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            reason = f": {seen.strerror}"
        seen = seen.__cause__ or seen.__context__
    return reason
