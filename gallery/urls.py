from django.urls import path, re_path

from gallery import api, health_views, iiif_views, map_views, views

app_name = "gallery"

urlpatterns = [
    path("", views.ArtworkListView.as_view(), name="artwork-list"),
    path("search/", views.search, name="search"),
    path("search/picture/<slug:qid>.jpg", views.search_preview, name="search-preview"),
    path("upload/", views.artwork_upload, name="artwork-upload"),
    path("artworks/<int:pk>/", views.ArtworkDetailView.as_view(), name="artwork-detail"),
    path("artworks/<int:pk>/similar/", views.artwork_similar, name="artwork-similar"),
    path("artworks/<int:pk>/detail/", views.artwork_detail_search, name="artwork-detail-search"),
    path("map/", map_views.collection_map, name="collection-map"),
    path("map/data.json", map_views.collection_map_data, name="collection-map-data"),
    path("map/works/<int:pk>.json", map_views.collection_map_item, name="collection-map-item"),
    path("artists/", views.ArtistListView.as_view(), name="artist-list"),
    path("artists/<slug:slug>/", views.ArtistDetailView.as_view(), name="artist-detail"),
    path("api/search", api.search, name="api-search"),
    path("api/artworks/<int:pk>", api.artwork_detail, name="api-artwork"),
    path("api/artworks/<int:pk>/similar", api.artwork_similar, name="api-artwork-similar"),
    path("iiif/<int:pk>/manifest.json", iiif_views.artwork_manifest, name="iiif-manifest"),
    path("iiif/collection.json", iiif_views.collection, name="iiif-collection"),
    re_path(r"^iiif/(?P<pk>\d+)/(?P<version>[0-9a-f]{16})/info\.json$", iiif_views.image_info, name="iiif-image-info"),
    re_path(r"^iiif/(?P<pk>\d+)/(?P<version>[0-9a-f]{16})/(?P<tile>.+)$", iiif_views.image_file,
            name="iiif-image-file"),
    path("healthz", health_views.healthz, name="healthz"),
    path("metrics", health_views.metrics, name="metrics"),
]
