"""Fixtures of the browser tests: Debian's Chromium on the console, and an agent who can sign in."""

import pytest

from tests.browser import console_browser, with_password


@pytest.fixture
async def chromium(env):
    """Headless Chromium opening this test's console; any error a page logs fails the test."""
    async with console_browser(env.url("agent_api")) as opened:
        yield opened


@pytest.fixture
def agent_fields() -> dict:
    """Override (or parametrize) to give the `agent` fixture a role, skills, capacity…"""
    return {}


@pytest.fixture
async def agent(env, people, agent_fields):
    """An agent with a console password (set by an admin), reachable by bearer token for checks."""
    return await with_password(env, people, **agent_fields)
