"""get_user through the host."""

from __future__ import annotations


async def test_user_profile(host, hn, conforms):
    result = await host.call("hackernews", "get_user", {"username": "mrkurtz"})
    assert result.type.value == "action", result.result
    user = result.result.data
    conforms("get_user", user)
    assert user == {
        "id": "mrkurtz",
        "created": "2014-01-07T00:00:00Z",
        "karma": 5123,
        "about": "Building boring software.\n\nEmail: kurtz at example dot com\n\nhttps://github.com/mrkurtz",
        "submitted_count": 14,
        "recent_submissions": [
            40213800,
            40213620,
            40213401,
            40190011,
            40188765,
            40150001,
            40120333,
            40111111,
            40100000,
            40099999,
        ],
        "hn_url": "https://news.ycombinator.com/user?id=mrkurtz",
    }
    assert hn.requests == ["/v0/user/mrkurtz.json"]


async def test_user_bounds_and_html(host, conforms):
    result = await host.call(
        "hackernews", "get_user", {"username": "mrkurtz", "max_submissions": 2, "text_format": "html"}
    )
    user = result.result.data
    conforms("get_user", user)
    assert user["recent_submissions"] == [40213800, 40213620] and user["submitted_count"] == 14
    assert user["about"].startswith("Building boring software.<p>")
    none = (await host.call("hackernews", "get_user", {"username": "mrkurtz", "max_submissions": 0})).result.data
    assert none["recent_submissions"] == []


async def test_user_without_about_or_submissions(host, conforms):
    result = await host.call("hackernews", "get_user", {"username": "lurker_1"})
    assert result.type.value == "action", result.result
    conforms("get_user", result.result.data)
    assert result.result.data["about"] is None
    assert result.result.data["submitted_count"] == 0 and result.result.data["recent_submissions"] == []


async def test_unknown_user_is_an_action_error(host):
    result = await host.call("hackernews", "get_user", {"username": "no_such_user_xyz"})
    assert result.type.value == "action_error"
    assert result.result.message == "Hacker News user 'no_such_user_xyz' not found"
