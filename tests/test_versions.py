"""C20 — versions of the security-relevant packages (reliability.md (c) C20, R40).

pip-audit cannot reach its vulnerability service from these machines and then silently skips
packages (reliability.md, "What the probes measured"), so the floors are asserted here instead.
Raise a floor when an advisory names a fixed version; never lower one.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

# package: (minimum version, why)
SECURITY_FLOORS: dict[str, tuple[str, str]] = {
    "django": ("5.2.8", "CVE-2025-64459 (SQL injection via _connector in QuerySet/Q) fixed in 5.2.8"),
    "cryptography": ("46.0.0", "Ed25519 credit codes; 44.0.1+ ships OpenSSL with CVE-2024-12797 fixed"),
    "argon2-cffi": ("25.1.0", "password hashing (the tested release)"),
    "django-axes": ("8.3.1", "login lockout; C8's guard relies on its failure log and reset semantics"),
    "psycopg": ("3.3.0", "PostgreSQL driver (server-side binding, the tested 3.3 line)"),
    "whitenoise": ("6.12.0", "static files (path handling; the tested release)"),
    "django-ninja": ("1.7.1", "API edge validation and error handlers as tested"),
    "pydantic": ("2.4.0", "CVE-2024-3772 (ReDoS in email validation) fixed in 2.4.0"),
    "granian": ("2.8.7", "the production WSGI server, as measured"),
}


def installed(package: str) -> Version:
    try:
        return Version(version(package))
    except PackageNotFoundError:  # pragma: no cover - the test then fails with the name
        pytest.fail(f"{package} is not installed")


@pytest.mark.parametrize("package", sorted(SECURITY_FLOORS))
def test_security_floor(package: str) -> None:
    floor, why = SECURITY_FLOORS[package]
    assert installed(package) >= Version(floor), f"{package} {installed(package)} < {floor}: {why}"


def test_django_is_the_52_lts() -> None:
    # Django 6 needs Python 3.12, which these machines lack (architecture.md, stack).
    assert Version("5.2.8") <= installed("django") < Version("6")


def test_installed_packages_match_pyproject() -> None:
    # A stale virtualenv would make the floors above meaningless: what runs must be what is pinned.
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    mismatched = []
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        have = installed(requirement.name)
        if not requirement.specifier.contains(have, prereleases=True):
            mismatched.append(f"{requirement} (installed {have})")
    assert not mismatched, mismatched


def test_the_floors_are_pinned_in_pyproject() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    names = {Requirement(line).name.lower() for line in pyproject["project"]["dependencies"]}
    assert {name for name in SECURITY_FLOORS if name != "pydantic"} <= names  # pydantic comes with ninja
