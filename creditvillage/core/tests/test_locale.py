"""The committed English catalogues (the project's and each app's) are complete and their compiled .mo
files match the .po files (ADR 0008)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2]
LOCALE = PACKAGE / "locale" / "en" / "LC_MESSAGES"
CATALOGUES = sorted(PACKAGE.glob("**/locale/en/LC_MESSAGES"))
ENTRY = re.compile(r'^msgid "(.*)"$', re.M)


def _entries(locale: Path) -> list[str]:
    """The .po's entries as text blocks, header excluded."""
    blocks = (locale / "django.po").read_text(encoding="utf-8").split("\n\n")
    return [b for b in blocks if ENTRY.search(b) and not b.lstrip().startswith(('#, fuzzy\nmsgid ""', 'msgid ""'))]


def test_the_project_and_its_apps_have_catalogues() -> None:
    assert LOCALE in CATALOGUES
    assert len(CATALOGUES) > 1


@pytest.mark.parametrize("locale", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_entry_is_translated_and_none_is_fuzzy(locale: Path) -> None:
    untranslated = [b for b in _entries(locale) if re.search(r'^msgstr(\[\d\])? ""\n(?!")', b + "\n", re.M)]
    fuzzy = [b for b in _entries(locale) if "#, fuzzy" in b]
    assert untranslated == [], "run `make messages` and translate: " + "; ".join(u[-80:] for u in untranslated[:5])
    assert fuzzy == []


@pytest.mark.parametrize("locale", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_compiled_catalogue_matches_the_po(locale: Path) -> None:
    with (locale / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    if locale == LOCALE:
        assert compiled.gettext("农户档案") == "Households"
    entries = ENTRY.findall("\n\n".join(_entries(locale)))
    missing = [m for m in entries if "\\" not in m and compiled.gettext(m) == m]
    assert missing == [], "run `make messages` (compilemessages) and commit django.mo: " + ", ".join(missing[:5])


@pytest.mark.django_db
def test_english_is_used_only_when_chosen(client: Client) -> None:
    default = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="zh-hans"' in default.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    chosen = client.get(reverse("login"))
    assert 'lang="en"' in chosen.content.decode()
    assert "Log in" in chosen.content.decode()
    translation.activate("zh-hans")
