from django.urls import path

from gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.ArtworkListView.as_view(), name="artwork-list"),
    path("artworks/<int:pk>/", views.ArtworkDetailView.as_view(), name="artwork-detail"),
    path("artists/", views.ArtistListView.as_view(), name="artist-list"),
    path("artists/<slug:slug>/", views.ArtistDetailView.as_view(), name="artist-detail"),
]
