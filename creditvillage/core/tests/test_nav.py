"""Every main-menu entry resolves, and the menu shows only what the user's roles allow."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from creditvillage.core.nav import NAV
from tests.fixtures import World


def test_every_entry_resolves() -> None:
    for entry in NAV:
        assert reverse(entry.url_name).startswith(entry.prefix), entry.url_name


@pytest.mark.django_db
def test_the_menu_follows_the_roles(world: World) -> None:
    client = Client()
    client.force_login(world.users["township_operator"])
    page = client.get(reverse("home")).content.decode()
    assert reverse("household-list") in page
    client.force_login(world.users["merchant"])
    page = client.get(reverse("home")).content.decode()
    assert reverse("household-list") not in page
