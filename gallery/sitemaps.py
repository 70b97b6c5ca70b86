"""/sitemap.xml: the public pages search engines should know, every published artwork and every artist with one.

Drafts are for curators and never listed (an artist known only from drafts neither)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from gallery.models import Artist, Artwork


class ArtworkSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        """Published works, by id (a stable order, so the sitemap's pages do not shift)."""
        return Artwork.objects.published().only("pk", "updated_at").order_by("pk")

    def lastmod(self, artwork: Artwork):
        return artwork.updated_at


class ArtistSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        """Artists with at least one published work, by id."""
        return Artist.objects.filter(artworks__published=True).distinct().only("pk", "slug").order_by("pk")


SITEMAPS = {"artworks": ArtworkSitemap, "artists": ArtistSitemap}
