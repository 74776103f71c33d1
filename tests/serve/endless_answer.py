"""An ASGI app whose one answer is far larger than a socket buffers (64 MB in 1 MB parts): served by
uvicorn with serve/bounded.py's protocol, it shows what happens to a client that never reads."""

PART = b"x" * (1 << 20)
PARTS = 64


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/_stcore/health":  # as an app process answers it: serve.warm waits on it
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % (PARTS << 20))]})
    for _ in range(PARTS):
        await send({"type": "http.response.body", "body": PART, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
