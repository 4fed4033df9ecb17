"""Host plugins (pluggy): what each hook receives, and that a misbehaving
plugin neither fails a call nor stops the host."""

from __future__ import annotations

import importlib_metadata
import pytest

from apiary import Host, HostConfig, parse_config
from apiary.hooks import CallInfo, UpstreamRequest, hookimpl
from autohive_integrations_sdk import IntegrationResult, ResultType

from ._support import fixture_source


class Recorder:
    def __init__(self):
        self.configured = []
        self.before = []
        self.after = []
        self.upstream = []

    @hookimpl
    def apiary_configure(self, config):
        self.configured.append(config)

    @hookimpl
    def apiary_before_call(self, call):
        self.before.append((call.call_id, call.integration, call.action, call.account))

    @hookimpl
    def apiary_after_call(self, call, result, duration_ms):
        self.after.append((call, result, duration_ms))

    @hookimpl
    def apiary_upstream_request(self, call, request):
        self.upstream.append((call.call_id if call else None, request))


async def test_hooks_see_the_whole_call(make_host, fake_upstream):
    recorder = Recorder()
    host = await make_host("echo", plugins=[recorder], config={"host": {"call_timeout": 12}})
    assert len(recorder.configured) == 1
    assert isinstance(recorder.configured[0], HostConfig)
    assert recorder.configured[0].call_timeout == 12

    result = await host.call(
        "echo",
        "set_cookie",
        {"url": fake_upstream.url("/set-cookie"), "then_read": fake_upstream.url("/read-cookie")},
    )
    assert result.type is ResultType.ACTION

    [(call_id, integration, action, account)] = recorder.before
    assert (integration, action, account) == ("echo", "set_cookie", None)
    [(call, after_result, duration_ms)] = recorder.after
    assert isinstance(call, CallInfo)
    assert call.call_id == call_id
    assert after_result is result
    assert isinstance(duration_ms, float) and duration_ms >= 0
    assert call.upstream_requests == 2

    assert [cid for cid, _ in recorder.upstream] == [call_id, call_id]
    requests = [request for _, request in recorder.upstream]
    assert all(isinstance(request, UpstreamRequest) for request in requests)
    assert [(r.method, r.path, r.status) for r in requests] == [
        ("GET", "/set-cookie", 200),
        ("GET", "/read-cookie", 200),
    ]
    assert requests[0].origin == f"http://127.0.0.1:{fake_upstream.server.port}"


async def test_after_call_sees_failures_too(make_host):
    recorder = Recorder()
    host = await make_host("echo", plugins=[recorder])
    await host.call("nosuch", "x", {})
    await host.call("echo", "boom", {})
    await host.connected_account("echo")
    outcomes = [(call.integration, call.action, result.result["error"]) for call, result, _ in recorder.after]
    assert outcomes == [
        ("nosuch", "x", "unknown_integration"),
        ("echo", "boom", "handler_error"),
        ("echo", "connected_account", "unsupported"),
    ]
    assert len({call.call_id for call, _, _ in recorder.after}) == 3


async def test_upstream_request_count_per_call(make_host, fake_upstream):
    recorder = Recorder()
    host = await make_host("echo", plugins=[recorder])
    for count in (1, 2):
        for _ in range(count):
            await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})
    assert [call.upstream_requests for call, _, _ in recorder.after] == [1, 1, 1]


class Raiser:
    """Every hook raises."""

    @hookimpl
    def apiary_before_call(self, call):
        raise RuntimeError("before_call is broken")

    @hookimpl
    def apiary_after_call(self, call, result, duration_ms):
        raise RuntimeError("after_call is broken")

    @hookimpl
    def apiary_upstream_request(self, call, request):
        raise RuntimeError("upstream_request is broken")


async def test_a_raising_plugin_does_not_fail_the_call(make_host, fake_upstream, logs):
    host = await make_host("echo", plugins=[Raiser()])
    result = await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})
    assert result.type is ResultType.ACTION
    assert result.result.data["status"] == 200
    failures = logs.events("plugin_hook_failed")
    assert {failure["hook"] for failure in failures} == {
        "apiary_before_call",
        "apiary_after_call",
        "apiary_upstream_request",
    }


async def test_a_raising_plugin_does_not_silence_the_other_plugins(make_host, fake_upstream, logs):
    """The built-in call log and other plugins still run when one plugin raises."""
    recorder = Recorder()
    host = await make_host("echo", plugins=[recorder, Raiser()])
    result = await host.call("echo", "fetch_json", {"url": fake_upstream.url("/json")})
    assert result.type is ResultType.ACTION
    assert len(recorder.before) == 1
    assert len(recorder.after) == 1
    assert len(recorder.upstream) == 1
    assert len(logs.events("call")) == 1
    assert len(logs.events("upstream_request")) == 1


class BadConfigure:
    @hookimpl
    def apiary_configure(self, config):
        raise RuntimeError("cannot configure")


async def test_a_plugin_failing_to_configure_leaves_no_open_pool():
    """Either the host starts without the plugin (reported in plugin_failures,
    calls work), or entering fails; never a failure that leaves the pool open."""
    host = Host(
        parse_config({}), sources=[fixture_source("echo")], plugins=[BadConfigure()], load_plugin_entry_points=False
    )
    try:
        try:
            async with host:
                result = await host.call("echo", "echo", {"x": 1})
                assert result.type is ResultType.ACTION
                assert any("cannot configure" in reason for _, reason in host.plugin_failures)
        except RuntimeError as error:
            assert "cannot configure" in str(error)
        assert not host.is_open
    finally:  # whatever happened, leave no open session behind
        if host._pool is not None:
            await host._pool.close()


# ---- plugins from the apiary.plugins entry point group ----------------------------

GOOD_PLUGIN = '''
from apiary.hooks import hookimpl

CALLS = []


@hookimpl
def apiary_after_call(call, result, duration_ms):
    CALLS.append((call.integration, call.action, result.type.value))
'''


async def test_entry_point_plugins_load_and_failures_are_skipped(monkeypatch, make_package):
    good = make_package.make({"name": "unused", "version": "1", "description": ""}, GOOD_PLUGIN, prefix="hostplugin")
    real_entry_points = importlib_metadata.entry_points

    def entry_points(**params):
        if params.get("group") == "apiary.plugins":
            return importlib_metadata.EntryPoints(
                [
                    importlib_metadata.EntryPoint("good", good, "apiary.plugins"),
                    importlib_metadata.EntryPoint("missing", "no_such_plugin_module_0xdead", "apiary.plugins"),
                    importlib_metadata.EntryPoint("wrongattr", f"{good}:nothing_here", "apiary.plugins"),
                ]
            )
        return real_entry_points(**params)

    monkeypatch.setattr(importlib_metadata, "entry_points", entry_points)
    host = Host(parse_config({}), sources=[fixture_source("echo")])
    async with host:
        result = await host.call("echo", "echo", {"x": 5})
    assert isinstance(result, IntegrationResult) and result.type is ResultType.ACTION
    failures = dict(host.plugin_failures)
    assert set(failures) == {"missing", "wrongattr"}
    assert "ModuleNotFoundError" in failures["missing"] and "no_such_plugin_module_0xdead" in failures["missing"]
    assert "AttributeError" in failures["wrongattr"]
    import sys

    assert sys.modules[good].CALLS == [("echo", "echo", "action")]


async def test_entry_point_plugins_can_be_turned_off(monkeypatch):
    def entry_points(**params):
        raise AssertionError("entry points must not be read")

    monkeypatch.setattr(importlib_metadata, "entry_points", entry_points)
    host = Host(parse_config({}), sources=[fixture_source("echo")], load_plugin_entry_points=False)
    async with host:
        assert (await host.call("echo", "echo", {})).type is ResultType.ACTION
    assert host.plugin_failures == []


@pytest.mark.parametrize("hook", ["apiary_before_call", "apiary_after_call"])
async def test_hook_implementations_may_take_fewer_arguments(make_host, hook):
    seen = []

    class Minimal:
        pass

    def implementation(self, call):
        seen.append(call.action)

    setattr(Minimal, hook, hookimpl(implementation))
    host = await make_host("echo", plugins=[Minimal()])
    await host.call("echo", "echo", {})
    assert seen == ["echo"]


# ---- wrappers: dispatched by pluggy, like every other implementation ---------------


class NewStyleWrapper:
    def __init__(self):
        self.seen = []

    @hookimpl(wrapper=True)
    def apiary_after_call(self, call, result, duration_ms):
        self.seen.append(("before", call.action))
        outcome = yield
        self.seen.append(("after", call.action, outcome))
        return outcome


class OldStyleWrapper:
    def __init__(self):
        self.seen = []

    @hookimpl(hookwrapper=True)
    def apiary_before_call(self, call):
        self.seen.append(("before", call.action))
        outcome = yield
        self.seen.append(("after", call.action, outcome.get_result()))


async def test_wrapper_hooks_run_around_the_other_implementations(make_host, logs):
    new_style, old_style, recorder = NewStyleWrapper(), OldStyleWrapper(), Recorder()
    host = await make_host("echo", plugins=[recorder, new_style, old_style])
    result = await host.call("echo", "echo", {"x": 1})
    assert result.type is ResultType.ACTION
    assert new_style.seen == [("before", "echo"), ("after", "echo", [])]
    assert old_style.seen == [("before", "echo"), ("after", "echo", [])]
    assert len(recorder.after) == 1 and len(logs.events("call")) == 1
    assert logs.events("plugin_hook_failed") == []


class Order:
    def __init__(self, log):
        self.log = log

    @hookimpl(wrapper=True, tryfirst=True)
    def apiary_after_call(self, call, result, duration_ms):
        self.log.append("wrapper in")
        outcome = yield
        self.log.append("wrapper out")
        return outcome


class Plain:
    def __init__(self, log, name):
        self.log, self.name = log, name

    @hookimpl
    def apiary_after_call(self, call, result, duration_ms):
        self.log.append(self.name)


async def test_a_raising_implementation_inside_a_wrapper_silences_nobody(make_host, logs):
    """The wrapper sees the hook finish normally, every other plugin runs,
    the call log is written, and the failure is logged with its plugin."""
    order = []
    host = await make_host("echo", plugins=[Plain(order, "first"), Raiser(), Order(order), Plain(order, "last")])
    result = await host.call("echo", "echo", {})
    assert result.type is ResultType.ACTION
    assert order == ["wrapper in", "last", "first", "wrapper out"]
    assert len(logs.events("call")) == 1
    failures = logs.events("plugin_hook_failed")
    assert sorted(failure["hook"] for failure in failures) == ["apiary_after_call", "apiary_before_call"]
    assert all("is broken" in failure["exception"] for failure in failures)


class BrokenWrappers:
    @hookimpl(wrapper=True)
    def apiary_after_call(self, call, result, duration_ms):
        raise RuntimeError("wrapper setup is broken")
        yield  # pragma: no cover - a generator that fails before yielding

    @hookimpl(hookwrapper=True)
    def apiary_before_call(self, call):
        yield
        raise RuntimeError("wrapper teardown is broken")


async def test_a_raising_wrapper_silences_nobody(make_host, logs):
    recorder = Recorder()
    host = await make_host("echo", plugins=[recorder, BrokenWrappers()])
    result = await host.call("echo", "echo", {})
    assert result.type is ResultType.ACTION
    assert len(recorder.before) == 1 and len(recorder.after) == 1
    assert len(logs.events("call")) == 1
    failures = {(event["hook"], "setup" if "setup" in event["exception"] else "teardown")
                for event in logs.events("plugin_hook_failed")}
    assert failures == {("apiary_after_call", "setup"), ("apiary_before_call", "teardown")}


async def test_a_wrapper_failing_to_configure_is_skipped_like_any_plugin(make_host):
    class BadConfigureWrapper:
        @hookimpl(wrapper=True)
        def apiary_configure(self, config):
            yield
            raise RuntimeError("cannot configure either")

    host = await make_host("echo", plugins=[BadConfigureWrapper()])
    assert any("cannot configure either" in reason for _, reason in host.plugin_failures)
    assert (await host.call("echo", "echo", {})).type is ResultType.ACTION


async def test_an_unparsable_url_is_reported_without_failing_the_call_log(make_host, logs):
    """The call log reads the attempt's URL: one ``urlsplit`` cannot parse
    (an integration's typo) must not make the built-in plugin raise."""
    host = await make_host("echo")
    result = await host.call("echo", "fetch_json", {"url": "http://[::1/x", "retries": 0})
    assert result.result["error"] == "upstream_error"
    assert logs.events("plugin_hook_failed") == []
    assert [line["origin"] for line in logs.events("upstream_request")] == ["(invalid URL)"]
