from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gallery import checks, signal_handlers  # noqa: F401 - importing checks registers them

        signal_handlers.connect()
