"""The catalogues: every message of the project translated in every language, none fuzzy, in step
with the source (a string added without a translation fails here), and library_locale's entries
still Django's own msgids."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from core import catalogues

ROOT = Path(catalogues.ROOT)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%\(\w+\)\.\df|%[sd]|\{\w*\}")
DJANGO = Path(__import__("django").__file__).parent
DRF = Path(__import__("rest_framework").__file__).parent  # ships its English catalogue compiled only
SIMPLE_HISTORY = Path(__import__("simple_history").__file__).parent
DJANGO_CATALOGUES = ("contrib/admin/locale", "contrib/auth/locale", "conf/locale")


def _po(directory: str, language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / directory / language / "LC_MESSAGES" / "django.po"))


def _catalogues() -> list[tuple[str, str]]:
    """Every language's catalogue, and its library_locale one where Django's lacks strings."""
    found = [("locale", code) for code in LANGUAGES]
    return found + [("library_locale", code) for code in LANGUAGES if (ROOT / "library_locale" / code).is_dir()]


@pytest.mark.parametrize(("directory", "language"), _catalogues())
def test_every_message_is_translated_and_none_is_fuzzy(directory, language):
    po = _po(directory, language)
    assert len(po) > (500 if directory == "locale" else 0)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []


@pytest.mark.parametrize(("directory", "language"), _catalogues())
def test_a_translation_keeps_every_placeholder_of_its_message(directory, language):
    for entry in _po(directory, language):
        sources = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            found = set(PLACEHOLDER.findall(text))
            assert found <= sources, (entry.msgid, text)
            if not entry.msgid_plural:
                assert found == sources, (entry.msgid, text)


@pytest.mark.parametrize("language", [code for directory, code in _catalogues() if directory == "library_locale"])
def test_library_locale_holds_only_the_libraries_own_messages(language, simple_history_messages):
    english: set[tuple[str | None, str]] = set(simple_history_messages)
    for catalogue in DJANGO_CATALOGUES:
        english |= {(e.msgctxt, e.msgid) for e in polib.pofile(str(DJANGO / catalogue / "en/LC_MESSAGES/django.po"))}
    english |= {(e.msgctxt, e.msgid) for e in polib.mofile(str(DRF / "locale/en/LC_MESSAGES/django.mo"))}
    ours = {(e.msgctxt, e.msgid) for e in _po("library_locale", language)}
    assert ours - english == set(), (
        "an upgrade of Django, DRF or simple-history changed these msgids: copy the new ones"
    )


def _needs_xgettext() -> None:
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("xgettext is missing: .ci/services installs gettext")
        pytest.skip("needs GNU gettext's xgettext (apt-get install gettext)")


@pytest.fixture(scope="module")
def simple_history_messages(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str | None, str]]:
    """django-simple-history ships no English catalogue: its messages, by makemessages on a copy."""
    _needs_xgettext()
    copy = tmp_path_factory.mktemp("simple_history") / "simple_history"
    shutil.copytree(SIMPLE_HISTORY, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_DEBUG": "1", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    command = [sys.executable, "-m", "django", "makemessages", "-len", "--no-location"]
    made = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/en/LC_MESSAGES/django.po"))}


def test_the_catalogues_follow_the_source(tmp_path):
    """makemessages on a copy of the source finds exactly the messages the catalogues hold."""
    _needs_xgettext()
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".*", "var", "staticfiles", "test-artifacts", "*.mo"))
    for language in LANGUAGES:
        (copy / "locale" / language / "LC_MESSAGES" / "django.po").unlink()
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    made = subprocess.run(
        catalogues.makemessages_command(LANGUAGES), cwd=copy, env=env, capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr[-2000:]
    for language in LANGUAGES:
        extracted = {
            (e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale" / language / "LC_MESSAGES/django.po"))
        }
        held = {(e.msgctxt, e.msgid) for e in _po("locale", language)}
        assert extracted - held == set(), f"new messages without a {language} translation"
        assert held - extracted == set(), f"{language} translations of messages no longer in the source"


def test_compiling_writes_a_catalogue_gettext_reads(tmp_path):
    target = tmp_path / "locale" / "hi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(ROOT / "locale/hi/LC_MESSAGES/django.po", target / "django.po")
    assert catalogues.compile_all(tmp_path) == [target / "django.mo"]
    assert catalogues.compile_all(tmp_path) == []  # up to date: not written again
    assert polib.mofile(str(target / "django.mo")).find("Dose").msgstr == "खुराक"
