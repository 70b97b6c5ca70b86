from django.urls import path

from gallery import api, views

app_name = "gallery"

urlpatterns = [
    path("", views.ArtworkListView.as_view(), name="artwork-list"),
    path("search/", views.search, name="search"),
    path("upload/", views.artwork_upload, name="artwork-upload"),
    path("artworks/<int:pk>/", views.ArtworkDetailView.as_view(), name="artwork-detail"),
    path("artworks/<int:pk>/similar/", views.artwork_similar, name="artwork-similar"),
    path("artworks/<int:pk>/detail/", views.artwork_detail_search, name="artwork-detail-search"),
    path("artists/", views.ArtistListView.as_view(), name="artist-list"),
    path("artists/<slug:slug>/", views.ArtistDetailView.as_view(), name="artist-detail"),
    path("api/search", api.search, name="api-search"),
    path("api/artworks/<int:pk>/similar", api.artwork_similar, name="api-artwork-similar"),
]
