"""``serve.max_connections``: the operator's number, or one derived from the
descriptor limit that leaves room for the pool and for files."""

from __future__ import annotations

import resource

import pytest

from apiary import ConfigError, parse_config
from apiary.web.connections import RESERVED_DESCRIPTORS, max_connections


def test_the_default_leaves_the_pool_and_files_their_descriptors():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    config = parse_config({"pool": {"limit": 40}})
    assert config.serve.max_connections == 0
    expected = min(soft, 1 << 20) - 40 - RESERVED_DESCRIPTORS
    assert max_connections(config) == max(8, expected)
    assert max_connections(config) < soft


def test_a_configured_cap_is_taken_as_it_is():
    assert max_connections(parse_config({"serve": {"max_connections": 12}})) == 12


@pytest.mark.parametrize("value", [-1, 1.5, "many", True])
def test_a_cap_that_is_not_a_whole_number_names_the_key(value):
    with pytest.raises(ConfigError, match=r"serve\.max_connections: expected a whole number"):
        parse_config({"serve": {"max_connections": value}})
