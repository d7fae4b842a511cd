"""A TCP proxy between the app and PostgreSQL that a test can cut, slow down or reset.

    proxy = FaultProxy("127.0.0.1", 5432).start()   # proxy.port: point the app's URL at it
    proxy.cut()       # drop every connection and refuse new ones, as a stopped server does
    proxy.restore()   # accept connections again
    proxy.reset()     # drop the open connections only, as a restarting server does
    proxy.slow(0.2)   # delay everything passing through by 0.2 s (0 to stop)

It runs its own event loop in a thread, so tests call it synchronously from any loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.delay = 0.0
        self.connections = 0  # accepted so far, to tell that a retry used a fresh connection
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        self._call(self._stop_listening())
        self.reset()

    def restore(self) -> None:
        self._call(self._listen())

    def reset(self) -> None:
        self._call(self._drop_all())

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def close(self) -> None:
        self.cut()
        self._call(self._cancel_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, not a polite goodbye
        self._writers.clear()

    async def _cancel_tasks(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(
            self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()
