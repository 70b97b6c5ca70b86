from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.static import serve

from gallery.sitemaps import SITEMAPS

handler500 = "gallery.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switcher's POST
    path("", include("gallery.urls")),
]

if settings.SERVE_MEDIA and settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Local-filesystem media straight from Django; a deployment with a proxy or a bucket turns this off.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
