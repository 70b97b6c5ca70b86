"""The interface in English and French: the catalogue in locale/, the language chosen per request, the translated pages.

The browser side (the switcher, axe on the French pages) is in tests/system/test_accessibility.py."""

from __future__ import annotations

import gettext
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gallery.forms import SearchForm
from tests.helpers import BASE_DIR

FRENCH = BASE_DIR / "locale" / "fr" / "LC_MESSAGES"
NOTICE_FR = "La recherche par texte comprend l'anglais : décrivez en anglais"
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _po_entries(path: Path) -> dict[tuple[str | None, str], tuple[list[str], bool, bool]]:
    """(msgctxt, msgid) → (msgstr or msgstr[0], msgstr[1] …, fuzzy, plural) of a .po file."""
    entries, fuzzy, current, fields = {}, False, None, {}

    def flush():
        if fields.get("msgid"):
            strings = [fields[key] for key in sorted(key for key in fields if key.startswith("msgstr"))]
            entries[(fields.get("msgctxt"), fields["msgid"])] = (strings, fuzzy, "msgid_plural" in fields)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            fuzzy, current, fields = False, None, {}
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        else:
            keyword = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+", line)
            if keyword:
                current, line = keyword.group(1), line[keyword.end():]
            text = re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], line.strip()[1:-1])
            fields[current] = fields.get(current, "") + text
    return entries


def test_every_french_entry_is_translated_and_compiled():
    entries = _po_entries(FRENCH / "django.po")
    assert len(entries) > 80
    untranslated = [msgid for (_, msgid), (strings, fuzzy, _) in entries.items() if not all(strings) or fuzzy]
    assert not untranslated, f"translate these in {FRENCH / 'django.po'}: {untranslated}"
    with (FRENCH / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    stale = []
    for (context, msgid), (strings, _, plural) in entries.items():
        key = f"{context}\x04{msgid}" if context else msgid
        if [compiled.get((key, n) if plural else key) for n in range(len(strings))] != strings:
            stale.append(msgid)
    assert not stale, ("django.mo is older than django.po: run `make manage ARGS=compilemessages` "
                       f"(or msgfmt -o django.mo django.po) and commit both: {stale}")


def test_the_languages_and_the_middleware():
    assert settings.USE_I18N and [code for code, _ in settings.LANGUAGES] == ["en", "fr"]
    assert settings.LOCALE_PATHS == [BASE_DIR / "locale"]
    middleware = settings.MIDDLEWARE
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")


def test_numbers_keep_a_decimal_point_in_french():
    """SVG frames, number inputs and data attributes print floats with {{ }}: a comma would break them."""
    with translation.override("fr"):
        rendered = Template("{{ x }} {{ day|date:'F' }}").render(Context({"x": 12.5, "day": date(2020, 3, 1)}))
    assert rendered == "12.5 mars"


@pytest.mark.django_db
def test_a_french_browser_gets_the_french_interface(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="fr">' in html
    assert all(word in html for word in ("Galerie", "Artistes", "Aller au contenu", "Langue"))
    assert NOTICE_FR in html.replace("\u00a0", " ")
    assert "Mode démo" in html  # the untrained-weights banner, from the context processor


@pytest.mark.django_db
def test_english_is_the_default_and_has_no_notice(client):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "Gallery" in html
    assert 'data-testid="english-queries-notice"' not in html
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()  # not offered: English
    assert '<html lang="en">' in html and 'data-testid="english-queries-notice"' not in html


@pytest.mark.django_db
def test_the_switcher_sets_the_language_for_the_next_pages(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/search/"})
    assert response.status_code == 302 and response["Location"] == "/search/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    html = client.get("/search/").content.decode()
    assert '<html lang="fr">' in html and "Résultats par page" in html and "Toutes les périodes" in html
    assert "19e siècle" in html and "21e siècle" in html
    assert "Rechercher dans la collection" in html and "Options et filtres" in html  # the search page's own words
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/search/").content.decode()
    assert "Results per page" in html and "19th century" in html and "21st century" in html


@pytest.mark.django_db
def test_form_errors_and_the_error_pages_in_french(client, admin_client):
    with translation.override("fr"):
        form = SearchForm({"q": "x", "year_from": "1900", "year_to": "1800"})
        assert not form.is_valid() and "ne doit pas être postérieure" in str(form.non_field_errors())
        unavailable = render_to_string("503.html")
        assert '<html lang="fr">' in unavailable and "De retour dans un instant" in unavailable
        assert "Une erreur s'est produite" in render_to_string("500.html")
        assert "Un instant, s" in render_to_string("429.html", {"message": "…"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Page introuvable" in missing.content.decode()
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    upload = admin_client.get(reverse("gallery:artwork-upload")).content.decode()
    assert "Ajouter une œuvre" in upload and "Ajouter à la collection" in upload and "Titre" in upload
