"""docker-compose.yml cannot run here (no Docker engine), so check its shape against the settings instead."""

import re

import yaml

from tests.helpers import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (BASE_DIR / "artsearch" / "settings.py").read_text()
# Every variable settings.py reads: env("X"...), env.bool("X"...), env.int(...), env.db(...), env.list(...).
SETTINGS_VARIABLES = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS_SOURCE))
SERVICES = COMPOSE["services"]


def environment_of(service: dict) -> dict:
    env = service.get("environment", {})
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def all_environment_names() -> set[str]:
    names = set(COMPOSE.get("x-app-environment", {}))
    for service in SERVICES.values():
        names |= set(environment_of(service))
    return names


def test_services_exist():
    assert {"db", "redis", "web", "worker"} <= set(SERVICES)


def test_db_is_pgvector_with_volume_and_healthcheck():
    db = SERVICES["db"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert db.get("volumes") and "test" in db["healthcheck"]


def test_web_and_worker_share_one_image_built_from_the_dockerfile():
    web, worker = SERVICES["web"], SERVICES["worker"]
    assert web["build"] == worker["build"] or web.get("image") == worker.get("image")
    assert (BASE_DIR / "Dockerfile").exists()


def test_web_migrates_then_serves_with_gunicorn_and_worker_runs_celery():
    web_command = " ".join(SERVICES["web"]["command"]) if isinstance(SERVICES["web"]["command"], list) \
        else SERVICES["web"]["command"]
    assert "migrate" in web_command and "gunicorn" in web_command and "artsearch.wsgi" in web_command
    worker_command = " ".join(SERVICES["worker"]["command"]) if isinstance(SERVICES["worker"]["command"], list) \
        else SERVICES["worker"]["command"]
    assert "celery" in worker_command and "-A artsearch" in worker_command and "worker" in worker_command


def test_app_services_wait_for_healthy_db_and_redis():
    for name in ("web", "worker"):
        depends = SERVICES[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_every_environment_variable_is_one_the_settings_read():
    app_names = {name for name in all_environment_names() if not name.startswith("POSTGRES_")}
    unknown = app_names - SETTINGS_VARIABLES
    assert not unknown, f"compose sets variables settings.py never reads: {unknown}"
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"} <= app_names


def test_production_mode_and_secret_come_from_the_host_environment():
    env = environment_of(SERVICES["web"])
    assert str(env["DJANGO_DEBUG"]).lower() == "false"
    assert "${DJANGO_SECRET_KEY" in str(env["DJANGO_SECRET_KEY"])  # never a literal secret in the repo
