"""Pages. Browsing uses generic views; searches are short function views over gallery.services.search."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.views.generic import DetailView, ListView

from gallery.models import Artist, Artwork


class ArtworkListView(ListView):
    """The gallery grid: every artwork, newest collections first by artist name."""

    queryset = Artwork.objects.select_related("artist")
    paginate_by = settings.GALLERY_PAGE_SIZE
    template_name = "gallery/artwork_list.html"


class ArtworkDetailView(DetailView):
    queryset = Artwork.objects.select_related("artist")
    template_name = "gallery/artwork_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        artwork = self.object
        context["more_by_artist"] = (Artwork.objects.filter(artist=artwork.artist).exclude(pk=artwork.pk)
                                     .select_related("artist")[:8])
        return context


class ArtistListView(ListView):
    template_name = "gallery/artist_list.html"

    def get_queryset(self):
        portrait = Artwork.objects.filter(artist=OuterRef("pk")).exclude(thumbnail="").order_by("pk")
        return Artist.objects.annotate(artwork_count=Count("artworks"),
                                       portrait=Subquery(portrait.values("thumbnail")[:1]))


class ArtistDetailView(DetailView):
    model = Artist
    template_name = "gallery/artist_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["artworks"] = self.object.artworks.select_related("artist")
        return context
