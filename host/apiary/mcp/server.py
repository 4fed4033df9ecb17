"""The MCP server: ``tools/list`` and ``tools/call`` over ``Host``.

The handlers only translate, like the HTTP face: a tool name to its
integration and action, arguments to inputs, the ``IntegrationResult`` to a
``CallToolResult``. Routing, validation, credentials (from the host config
and environment: MCP clients pass none), hooks and logs all happen in
``host.call``. Every failure (unknown tool, bad arguments, an action error,
a host error, a bug of ours) becomes a tool result with ``isError`` and a
message an LLM can act on, never a protocol error.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server

from .._calls.results import result_to_dict
from .._faces.access import bearer_matches
from .._faces.draining import Drain
from .._faces.encoding import to_json
from .._faces.messages import validation_lines
from .._faces.outcomes import outcome_for
from .._host import Host
from .._observe.logs import get_logger
from .._version import __version__
from .tools import ToolSpec

SERVER_NAME = "apiary"
_log = get_logger("apiary.mcp")


def _text(text: str) -> list[types.ContentBlock]:
    return [types.TextContent(text=text)]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=_text(text), is_error=True)


def _validation_message(tool: ToolSpec, problem: dict[str, Any]) -> str:
    """Every schema error in words, each naming its property, and what to do."""
    if problem.get("source") == "output":
        details = "; ".join(validation_lines(problem, "the output"))
        return (
            f"Tool {tool.name} ({tool.full_name}) returned output that does not match its output schema "
            f"({details}). This is a fault of the integration, not of your arguments."
        )
    details = "; ".join(validation_lines(problem, "the arguments"))
    return (
        f"Invalid arguments for tool {tool.name}: {details}. "
        "Fix the arguments to match the tool's input schema and call it again."
    )


def render_result(tool: ToolSpec, result: Any) -> types.CallToolResult:
    """A host ``IntegrationResult`` as an MCP tool result."""
    document = result_to_dict(result)
    kind, payload = document["type"], document["result"]
    payload = payload if isinstance(payload, dict) else {"message": str(payload)}
    if kind == "action":
        data = payload.get("data")
        structured = data if tool.output_schema is not None and isinstance(data, dict) else None
        return types.CallToolResult(content=_text(to_json(data)), structured_content=structured)
    if kind == "action_error":
        return _error(f"Tool {tool.name} ({tool.full_name}) reported an error: {payload.get('message')}")
    if kind == "validation_error":
        return _error(_validation_message(tool, payload))
    error = payload.get("error", "error")
    advice = outcome_for(document).mcp_advice
    return _error(f"Tool {tool.name} ({tool.full_name}) failed ({error}): {payload.get('message')}. {advice}".rstrip())


class McpFace:
    """The tool table and the handlers over one entered ``Host``."""

    def __init__(self, host: Host, tools: Sequence[ToolSpec]) -> None:
        self.host = host
        self.tools = {tool.name: tool for tool in tools}
        self.drain = Drain(host.config.serve.grace_period, "apiary.mcp")

    def _tool(self, spec: ToolSpec) -> types.Tool:
        return types.Tool(
            name=spec.name,
            title=spec.full_name,
            description=spec.description,
            input_schema=spec.input_schema,
            output_schema=spec.output_schema,
        )

    async def list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[self._tool(spec) for spec in self.tools.values()])

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = self.tools.get(params.name)
        if spec is None:
            return _error(
                f"Unknown tool {params.name!r}. Call tools/list for the tools this server offers "
                f"({len(self.tools)} of them)."
            )
        arguments = params.arguments
        if arguments is not None and not isinstance(arguments, dict):
            return _error(f"Invalid arguments for tool {spec.name}: expected a JSON object.")
        if self.drain.draining:
            return _error(f"Tool {spec.name} was not run: the Apiary server is shutting down. Try again later.")
        task = asyncio.current_task()
        assert task is not None
        self.drain.enter(task)
        try:
            result = await self.host.call(spec.integration, spec.action, dict(arguments or {}))
            return render_result(spec, result)
        except asyncio.CancelledError:
            if not self.drain.was_cut(task):
                raise
            task.uncancel()  # the drain's own cancellation, answered here
            return _error(
                f"Tool {spec.name} was cut off: the Apiary server shut down before it finished (grace period "
                f"{self.drain.grace_period:g} s). It may have taken effect upstream: check before calling it again."
            )
        except Exception as error:  # a bug of ours: logged with its traceback, answered without
            _log.error("mcp_call_failed", tool=spec.name, exc_info=error)
            return _error(
                f"Tool {spec.name} failed inside Apiary ({type(error).__name__}); this is not about your arguments."
            )
        finally:
            self.drain.leave(task)

    def server(self) -> Server:
        return Server(
            SERVER_NAME,
            version=__version__,
            instructions="Apiary: every installed API integration action as a tool named {integration}__{action}.",
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
        )


# ---- transports ------------------------------------------------------------------


async def run_stdio(face: McpFace) -> None:
    """Serve over stdin/stdout until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    server = face.server()
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def http_app(face: McpFace, bind: str = "127.0.0.1", token: str | None = None) -> Any:
    """The streamable HTTP ASGI app (Starlette), endpoint ``/mcp``; with a
    ``token`` every request needs ``Authorization: Bearer <token>``."""
    app = face.server().streamable_http_app(streamable_http_path="/mcp", host=bind)
    return app if token is None else _BearerGuard(app, token)


class _BearerGuard:
    """ASGI middleware: refuse HTTP requests without the bearer token
    (compared in constant time) with a JSON 401."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if not bearer_matches(headers.get(b"authorization", b""), self.expected):
                body = to_json({"error": "unauthorized", "message": "send 'Authorization: Bearer <token>'"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="apiary"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def run_http(
    face: McpFace, bind: str, port: int, token: str | None = None, sock: socket.socket | None = None
) -> None:
    """Serve the streamable HTTP transport with uvicorn (on ``sock`` when
    given: bound to ``bind:port`` already) until SIGTERM/SIGINT,
    then drain like ``apiary serve``: still listening (a client may need
    ``tools/list`` to read a result), new tool calls refused, those in
    flight given the grace period and answered as cut off if still running
    then; only after that does uvicorn stop. A second signal cuts at once."""
    import uvicorn
    from sse_starlette.sse import AppStatus

    loop = asyncio.get_running_loop()
    drain = face.drain
    stopping: list[asyncio.Task[None]] = []

    class _Server(uvicorn.Server):
        signals = 0

        def handle_exit(self, sig: int, frame: Any) -> None:
            # Not uvicorn's own (which stops listening and, through
            # sse-starlette, ends every SSE stream at once, dropping the
            # answers of the calls in flight) until the drain is over; a
            # third signal is uvicorn's again (SIGINT twice: force quit).
            self.signals += 1
            if self.signals > 2:
                super().handle_exit(sig, frame)
                getattr(self, "_captured_signals", []).clear()  # exit 0 rather than re-raise
                return
            loop.call_soon_threadsafe(self._on_signal, _signal_name(sig))

        def _on_signal(self, name: str) -> None:
            if drain.draining:
                drain.hurry()
                return
            drain.begin(name)
            stopping.append(loop.create_task(self._drain_then_stop()))

        async def _drain_then_stop(self) -> None:
            await drain.finish()
            AppStatus.should_exit = True  # sse-starlette ends the open SSE streams
            self.should_exit = True

    config = uvicorn.Config(
        http_app(face, bind, token),
        host=bind,
        port=port,
        log_config=None,  # our logging set-up (stderr) instead of uvicorn's (access log on stdout)
        access_log=False,
        lifespan="on",
        # Once the drain is over, the streams end within sse-starlette's
        # poll (0.5 s): this is a backstop only.
        timeout_graceful_shutdown=1,
    )
    try:
        await _Server(config).serve(sockets=[sock] if sock else None)
    finally:
        for task in stopping:
            task.cancel()


def _signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)
