"""Issue 18, hole 1: the admin chat is the one chat the private-only rule lets through, and only for
admin work. Whatever a resident would do there (/start, sharing a number, the menus, erasure) gets
the admin chat's hint: that chat never registers, links an account or sends a command."""

from __future__ import annotations

import pytest
from meterbot_testing.resident import ResidentDriver

from .conftest import ADMIN_CHAT_ID
from .gateway_harness import GatewayHarness

pytestmark = pytest.mark.integration


async def test_resident_actions_in_the_admin_chat_get_the_admin_hint_only(
    gateway: GatewayHarness, admin: ResidentDriver
) -> None:
    hint = admin.t("admin.hint")
    for text in ("/start", admin.t("btn.start_work"), admin.t("btn.add_account"), "/erase", "100001"):
        assert (await admin.say(text)).text == hint, text
    await admin.resident.share_contact()
    assert (await admin.next()).text == hint
    assert await gateway.pool.fetchval("SELECT count(*) FROM rm_chats WHERE chat_id = $1", ADMIN_CHAT_ID) == 0
    pending = "SELECT count(*) FROM pending_requests WHERE chat_id = $1"
    assert await gateway.pool.fetchval(pending, ADMIN_CHAT_ID) == 0
