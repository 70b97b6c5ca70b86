from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

handler500 = "gallery.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("gallery.urls")),
]

if settings.SERVE_MEDIA and settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Local-filesystem media straight from Django; a deployment with a proxy or a bucket turns this off.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
