"""The interface in English and French: the catalogue in locale/, the language chosen per request, the translated pages.

The browser side (the switcher, axe on the French pages) is in tests/system/test_accessibility.py."""

from __future__ import annotations

import gettext
import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.template.loader import render_to_string
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.urls import reverse
from django.utils import translation

from gallery import map_layout
from gallery.forms import SearchForm
from gallery.models import Artwork
from tests.helpers import BASE_DIR

FRENCH = BASE_DIR / "locale" / "fr" / "LC_MESSAGES"
TEMPLATES = BASE_DIR / "templates"
NOTICE_FR = "La recherche par texte comprend l'anglais : décrivez en anglais"
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _po_entries(path: Path) -> dict[tuple[str | None, str], tuple[list[str], bool, str | None]]:
    """(msgctxt, msgid) → (msgstr or msgstr[0], msgstr[1] …, fuzzy, msgid_plural or None) of a .po file."""
    entries, fuzzy, current, fields = {}, False, None, {}

    def flush():
        if fields.get("msgid"):
            strings = [fields[key] for key in sorted(key for key in fields if key.startswith("msgstr"))]
            entries[(fields.get("msgctxt"), fields["msgid"])] = (strings, fuzzy, fields.get("msgid_plural"))

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


def _template_messages() -> dict[tuple[str | None, str], set[str]]:
    """(msgctxt, msgid) of every {% translate %} and {% blocktranslate %} with a literal text in templates/ → the
    templates that use it. The msgids are built by Django's own nodes, as the page looks them up when it renders."""
    engine = engines["django"].engine
    messages: dict[tuple[str | None, str], set[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        nodelist = engine.from_string(path.read_text(encoding="utf-8")).nodelist
        found = []
        for node in nodelist.get_nodes_by_type(TranslateNode):
            if node.filter_expression.var.literal is not None:  # not {% translate some_variable %}
                found.append((node.message_context, node.filter_expression.var.literal))
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            found += [(node.message_context, node.render_token_list(tokens)[0])
                      for tokens in (node.singular, node.plural) if tokens]
        for context, msgid in found:
            context = context.var if context is not None else None  # a literal context is a constant expression
            messages.setdefault((context, str(msgid)), set()).add(str(path.relative_to(TEMPLATES)))
    return messages


def test_every_template_message_is_in_the_french_catalogue():
    """makemessages needs gettext's xgettext, absent at run time: the templates' messages are compared directly."""
    entries = _po_entries(FRENCH / "django.po")
    known = set(entries) | {(context, plural) for (context, _), (_, _, plural) in entries.items() if plural}
    messages = _template_messages()
    used_by = {template for templates in messages.values() for template in templates}
    assert {"gallery/collection_map.html", "includes/_map_text.html", "base.html"} <= used_by
    assert ("aria-roledescription", "map") in messages and (None, "{count} works on the map.") in messages
    missing = {key: sorted(templates) for key, templates in messages.items() if key not in known}
    assert not missing, f"add these to {FRENCH / 'django.po'} and translate them: {missing}"


def test_the_map_script_gets_every_period_and_its_placeholders_in_french():
    """collection-map.js looks periods up by their name in the map's data, and fills {placeholders} it knows."""
    def spans(language: str) -> dict[str, str]:
        with translation.override(language):
            html = render_to_string("includes/_map_text.html")
        return {f"{kind}:{key}:{sample}": text for kind, key, sample, text in re.findall(
            r'<span data-(key|period)="([^"]+)"(?: data-sample="(\d)")?>(.*?)</span>', html)}

    english, french = spans("en"), spans("fr")
    assert [key.split(":")[1] for key in english if key.startswith("period:")] == list(map_layout.PERIODS)
    assert english.keys() == french.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", french[key])) == set(re.findall(r"\{\w+\}", text)), (key, french[key])
        assert french[key] != text, key  # every message is French
    assert french["key:works:1"] == "{count} œuvre sur la carte." and french["key:works:2"].startswith("{count} œuvres")
    assert french["period:1800s:"] == "19e siècle"


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


def _open_graph(html: str) -> dict[str, str]:
    """The page's Open Graph properties, unescaped."""
    return {name: unescape(value)
            for name, value in re.findall(r'<meta property="(og:[a-z:_]+)" content="([^"]*)">', html)}


@pytest.mark.django_db
def test_an_artwork_page_in_french_labels_its_status_and_rights_and_shares_in_french(client, embedded_artworks):
    """The labels come from the model's choices, the Open Graph text from the sharing include."""
    unattributed, attributed = embedded_artworks(2)
    Artwork.objects.filter(pk=unattributed.pk).update(artist=None, status=Artwork.Status.PENDING, date="1872",
                                                      rights=Artwork.Rights.PUBLIC_DOMAIN)
    Artwork.objects.filter(pk=attributed.pk).update(date="1889")
    english = client.get(unattributed.get_absolute_url()).content.decode()
    assert '<span class="status status-pending">Pending</span>' in english and "Public domain / CC0" in english
    meta = _open_graph(english)
    assert meta["og:description"] == "Unknown artist, 1872" and meta["og:locale"] == "en_US"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = client.get(unattributed.get_absolute_url()).content.decode()
    assert '<span class="status status-pending">En attente</span>' in html
    assert "<dt>Droits</dt><dd>Domaine public / CC0</dd>" in html and 'title="Manifeste IIIF"' in html
    meta = _open_graph(html)
    assert meta["og:description"] == "Artiste inconnu, 1872" and meta["og:locale"] == "fr_FR"
    Artwork.objects.filter(pk=unattributed.pk).update(rights=Artwork.Rights.UNKNOWN)
    assert "<dt>Droits</dt><dd>Inconnus</dd>" in client.get(unattributed.get_absolute_url()).content.decode()
    html = client.get(attributed.get_absolute_url()).content.decode()
    assert _open_graph(html)["og:image:alt"] == f"{attributed.title} par {attributed.artist.name}, 1889"
    assert f'<meta name="description" content="{attributed.title} par {attributed.artist.name}, 1889.">' in html


@pytest.mark.django_db
def test_a_shared_search_in_french(client, searchable_artworks):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("gallery:search"), {"q": "a stormy sea", "k": 3})
    titles = "; ".join(hit.artwork.title for hit in response.context["result"].hits)
    meta = _open_graph(response.content.decode())
    assert meta["og:title"] == "Recherche\u00a0: a stormy sea" and meta["og:locale"] == "fr_FR"
    assert meta["og:description"] == (
        f"Œuvres de la collection proches de «\u00a0a stormy sea\u00a0»\u00a0: {titles}.")
    assert meta["og:image:alt"].startswith(f"{response.context['result'].hits[0].artwork.title} par ")


@pytest.mark.django_db
def test_the_map_says_what_is_wrong_with_a_search_in_french(client, embedded_artworks):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    work = embedded_artworks(1)[0]
    work.image.storage.delete(work.image.name)  # the stored picture a detail search would crop is gone
    for params, status, message in [
        ({"qid": "expired-or-made-up"}, 400, "Cette recherche par image a expiré : envoyez l'image à nouveau."),
        ({"q": "not: boats"}, 400, "Décrivez ce que vous cherchez, ou envoyez une image."),
        ({"artwork": work.pk, "box": "0.1,0.1,0.5,0.5"}, 503,
         f"La recherche est indisponible : L'image de « {work.title} » ne peut pas être lue pour l'instant ; "
         "réessayez plus tard."),
    ]:
        response = client.get(reverse("gallery:collection-map"), params)
        assert response.status_code == status
        error = re.search(r'data-testid="map-error">([^<]*)<', response.content.decode()).group(1)
        assert re.sub("\u00a0", " ", unescape(error)) == message, params
