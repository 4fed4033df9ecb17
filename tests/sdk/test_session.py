"""The ExecutionContext's aiohttp session: owned, lazily opened, or borrowed
from the host's pool; and cookies kept per context, never in a shared session."""

import aiohttp
import pytest
from aiohttp import web

from autohive_integrations_sdk import ExecutionContext, PerCallCookieJar


async def ok(request):
    return web.json_response({"ok": True})


@pytest.fixture
async def shared_session():
    """A session as the host's pool makes them: cookies kept per call."""
    session = aiohttp.ClientSession(cookie_jar=PerCallCookieJar())
    yield session
    await session.close()


# ---- owned session -----------------------------------------------------------


async def test_owned_session_lives_inside_async_with(upstream):
    server = await upstream(ok)
    context = ExecutionContext()
    assert context._session is None
    async with context as entered:
        assert entered is context
        session = context._session
        assert isinstance(session, aiohttp.ClientSession)
        assert not session.closed
        await context.fetch(server.url())
        assert context._session is session
    assert context._session is None
    assert session.closed


async def test_owned_session_closed_when_body_raises():
    context = ExecutionContext()
    with pytest.raises(RuntimeError):
        async with context:
            session = context._session
            raise RuntimeError("handler failed")
    assert session.closed
    assert context._session is None


async def test_fetch_outside_async_with_opens_session_lazily(upstream):
    server = await upstream(ok)
    context = ExecutionContext()
    try:
        response = await context.fetch(server.url())
        assert response.data == {"ok": True}
        session = context._session
        assert isinstance(session, aiohttp.ClientSession) and not session.closed
        await context.fetch(server.url())
        assert context._session is session, "the lazily opened session is reused"
    finally:
        await context.__aexit__(None, None, None)
    assert session.closed
    assert context._session is None


async def test_context_can_be_entered_again(upstream):
    server = await upstream(ok)
    context = ExecutionContext()
    async with context:
        first = context._session
    async with context:
        second = context._session
        await context.fetch(server.url())
    assert first is not second
    assert first.closed and second.closed


# ---- borrowed session --------------------------------------------------------


async def test_borrowed_session_used_and_left_open(upstream, shared_session):
    server = await upstream(ok)
    async with ExecutionContext(session=shared_session) as context:
        assert context._session is shared_session
        await context.fetch(server.url("/one"))
    assert not shared_session.closed
    async with ExecutionContext(session=shared_session) as context:
        await context.fetch(server.url("/two"))
    assert not shared_session.closed
    one, two = server.requests
    assert one["client_port"] == two["client_port"], "both calls went over the pool's one connection"


async def test_borrowed_session_never_closed_even_on_error(upstream, shared_session):
    server = await upstream(ok)
    with pytest.raises(RuntimeError):
        async with ExecutionContext(session=shared_session) as context:
            await context.fetch(server.url())
            raise RuntimeError("handler failed")
    assert not shared_session.closed
    response = await shared_session.get(server.url())
    assert response.status == 200
    response.release()


async def test_borrowed_session_used_without_async_with(upstream, shared_session):
    server = await upstream(ok)
    context = ExecutionContext(session=shared_session)
    await context.fetch(server.url())
    assert context._session is shared_session
    await context.__aexit__(None, None, None)
    assert not shared_session.closed


async def test_borrowed_session_with_cookie_jar_refused():
    session = aiohttp.ClientSession()
    try:
        with pytest.raises(ValueError, match="DummyCookieJar"):
            ExecutionContext(session=session)
    finally:
        await session.close()


# ---- cookies -----------------------------------------------------------------


def cookie_routes():
    async def login(request):
        response = web.json_response({"logged_in": True})
        response.set_cookie("sid", "s3ss10n")
        return response

    async def me(request):
        return web.json_response({"cookies": dict(request.cookies)})

    return {"/login": login, "/me": me}


async def test_cookie_sent_back_within_one_context(upstream, shared_session):
    """Cookies need a host name: aiohttp's cookie jar ignores those set by a
    bare IP address, so the upstream is reached as localhost."""
    server = await upstream(cookie_routes())
    async with ExecutionContext(session=shared_session) as context:
        await context.fetch(server.url("/login", host="localhost"))
        response = await context.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {"sid": "s3ss10n"}}


async def test_cookie_not_shared_between_contexts_on_one_session(upstream, shared_session):
    server = await upstream(cookie_routes())
    async with ExecutionContext(session=shared_session) as context:
        await context.fetch(server.url("/login", host="localhost"))
    async with ExecutionContext(session=shared_session) as other:
        response = await other.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {}}
    assert len(shared_session.cookie_jar) == 0
    assert server.requests[-1]["cookies"] == {}


async def test_concurrent_contexts_do_not_see_each_others_cookies(upstream, shared_session):
    server = await upstream(cookie_routes())
    first = ExecutionContext(session=shared_session)
    second = ExecutionContext(session=shared_session)
    async with first, second:
        await first.fetch(server.url("/login", host="localhost"))
        seen_by_second = await second.fetch(server.url("/me", host="localhost"))
        seen_by_first = await first.fetch(server.url("/me", host="localhost"))
    assert seen_by_second.data == {"cookies": {}}
    assert seen_by_first.data == {"cookies": {"sid": "s3ss10n"}}


async def test_cookies_forgotten_when_context_exits(upstream, shared_session):
    server = await upstream(cookie_routes())
    context = ExecutionContext(session=shared_session)
    async with context:
        await context.fetch(server.url("/login", host="localhost"))
    async with context:
        response = await context.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {}}


async def test_dummy_jar_session_keeps_no_cookies_at_all(upstream):
    server = await upstream(cookie_routes())
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with ExecutionContext(session=session) as context:
            await context.fetch(server.url("/login", host="localhost"))
            response = await context.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {}}


async def test_owned_session_keeps_cookies_within_context(upstream):
    server = await upstream(cookie_routes())
    async with ExecutionContext() as context:
        await context.fetch(server.url("/login", host="localhost"))
        response = await context.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {"sid": "s3ss10n"}}



async def test_cookie_set_during_redirect_sent_to_next_hop(upstream, shared_session):
    """Within one fetch, a cookie set by a redirecting response reaches the
    redirect's target, as it does with the reference (a session cookie jar)."""

    async def start(request):
        response = web.HTTPFound("/landing")
        response.set_cookie("sid", "s3ss10n")
        raise response

    async def landing(request):
        return web.json_response({"cookies": dict(request.cookies)})

    server = await upstream({"/start": start, "/landing": landing})
    async with ExecutionContext(session=shared_session) as context:
        response = await context.fetch(server.url("/start", host="localhost"))
    assert [request["path"] for request in server.requests] == ["/start", "/landing"]
    assert response.data == {"cookies": {"sid": "s3ss10n"}}


@pytest.mark.filterwarnings("error::DeprecationWarning")
async def test_cookie_handling_uses_no_deprecated_aiohttp_api(upstream, shared_session):
    """aiohttp 4 drops str URLs in CookieJar.filter_cookies; the SDK must not
    depend on them (it declares aiohttp>=3.10 with no upper bound)."""
    server = await upstream(cookie_routes())
    async with ExecutionContext(session=shared_session) as context:
        await context.fetch(server.url("/login", host="localhost"))
        response = await context.fetch(server.url("/me", host="localhost"))
    assert response.data == {"cookies": {"sid": "s3ss10n"}}
