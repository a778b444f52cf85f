#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that holds every chunk for DELAY ms in each direction.

    delay_proxy.py DELAY_MS LISTEN:TARGET [LISTEN:TARGET ...]

Used by bench/run.sh for the latency section when the kernel has no netem qdisc: a
connection through it sees about 2 x DELAY ms more round-trip time, in order, with no loss.
Prints "ready" once every port listens.
"""
import asyncio
import socket
import sys
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data or None))
            if not data:
                break
        await task
    except (OSError, asyncio.CancelledError):
        task.cancel()


async def handle(target, delay, creader, cwriter):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cwriter.close()
        return
    for w in (cwriter, swriter):
        w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await asyncio.gather(pump(creader, swriter, delay), pump(sreader, cwriter, delay), return_exceptions=True)
    for w in (cwriter, swriter):
        w.close()


async def main():
    delay = float(sys.argv[1]) / 1000.0
    servers = []
    for pair in sys.argv[2:]:
        listen, target = (int(x) for x in pair.split(":"))
        servers.append(await asyncio.start_server(
            lambda r, w, t=target: handle(t, delay, r, w), "127.0.0.1", listen, backlog=4096))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
