"""A limit on request bodies that also holds when the client sends no Content-Length.

A declared length over the limit is refused before the app sees the request. A chunked
body is counted as it arrives: once it passes the limit the app is told the client went
away (it reads no further), whatever it answers or raises in reply is dropped, and the client
gets a 413. So a service never buffers more than the limit, whatever the client claims or omits.
Before answering, the rest of the body (up to a bound) is read and discarded: closing a
socket with unread data resets the connection, and the client would never see the 413.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mile_platform.problems import problem

DRAIN_LIMITS = 8
"""How many limits' worth of an oversized body are read and discarded before answering."""


class BodySizeLimit:
    """ASGI middleware: 413 problem+json for a body over ``max_bytes``, declared or counted."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, body_left=True)
            return
        received = 0
        too_large = answered = body_left = False

        async def counted_receive() -> Message:
            nonlocal received, too_large, body_left
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large, body_left = True, message.get("more_body", False)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if too_large and not answered:
                return  # the app's answer to a body cut short is replaced by the 413 below
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not (too_large and not answered):
                raise
            # the app gave up on the body cut short (e.g. ClientDisconnect): the answer is still 413
        if too_large and not answered:
            await self._refuse(scope, receive, send, body_left=body_left)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, body_left: bool) -> None:
        response = problem(413, "Request body too large", f"Limit is {self.max_bytes} bytes")
        if body_left and not await self._drained(receive):
            response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)

    async def _drained(self, receive: Receive) -> bool:
        """Read and discard what is left of the body, up to a bound; whether it all went."""
        discarded = 0
        while discarded <= DRAIN_LIMITS * self.max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return False
            discarded += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False
