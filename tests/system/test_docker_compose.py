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
    """What the services built from our image are given (the proxy's own settings are Caddy's)."""
    names = set(COMPOSE.get("x-app-environment", {}))
    for service in SERVICES.values():
        if "build" in service:
            names |= set(environment_of(service))
    return names


def command_of(service: dict) -> str:
    return " ".join(service["command"]) if isinstance(service["command"], list) else service["command"]


def test_services_exist():
    assert {"proxy", "db", "redis", "migrate", "web", "worker", "beat"} <= set(SERVICES)


def test_db_is_pgvector_with_volume_and_healthcheck():
    db = SERVICES["db"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert db.get("volumes") and "test" in db["healthcheck"]


def test_web_and_worker_share_one_image_built_from_the_dockerfile():
    web, worker = SERVICES["web"], SERVICES["worker"]
    assert web["build"] == worker["build"] or web.get("image") == worker.get("image")
    assert (BASE_DIR / "Dockerfile").exists()


def test_migrations_run_once_before_the_web_replicas_and_workers_start():
    assert "migrate" in command_of(SERVICES["migrate"]) and SERVICES["migrate"]["restart"] == "no"
    web_command = command_of(SERVICES["web"])
    assert "gunicorn" in web_command and "artsearch.wsgi" in web_command and "migrate" not in web_command
    for name in ("web", "worker", "beat", "proxy"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in SERVICES["web"]  # replicas sit behind the proxy: `--scale web=3` binds no host port


def test_beat_runs_once_in_its_own_service_and_no_worker_runs_it():
    assert "beat" in SERVICES["beat"]["command"] and SERVICES["beat"]["deploy"]["replicas"] == 1
    for name, service in SERVICES.items():
        if name != "beat" and "command" in service:
            assert "--beat" not in command_of(service) and " beat " not in f" {command_of(service)} "
    worker_command = command_of(SERVICES["worker"])
    assert "celery" in worker_command and "-A artsearch" in worker_command and "worker" in worker_command


def test_the_proxy_terminates_tls_and_serves_media_and_static_from_their_volumes():
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("caddy:") and {"80:80", "443:443"} <= set(proxy["ports"])
    assert {"media:/srv/media:ro", "static:/srv/static:ro"} <= set(proxy["volumes"])
    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert "handle_path /media/*" in caddyfile and "root * /srv/media" in caddyfile
    assert "handle_path /static/*" in caddyfile and "root * /srv/static" in caddyfile
    assert "dynamic a web 8000" in caddyfile  # every web replica, not just the first address
    env = COMPOSE["x-app-environment"]
    assert env["DJANGO_SERVE_MEDIA"] == "False"  # Django stops serving media: the proxy does
    assert env["DJANGO_RATELIMIT_IP_META_KEY"] == "HTTP_X_FORWARDED_FOR"  # limits and lockouts per real client
    assert "static:/app/var/static" in SERVICES["migrate"]["volumes"]
    assert "/app/staticfiles/." in command_of(SERVICES["migrate"])


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


def test_the_gpu_worker_is_optional_and_embeds_only_on_cuda():
    gpu, worker = SERVICES["gpu-worker"], SERVICES["worker"]
    assert gpu["profiles"] == ["gpu"]  # `docker compose up` without the profile leaves it out
    command = gpu["command"]
    assert command[command.index("-Q") + 1] == "embedding" and "--beat" not in command  # beat runs once, elsewhere
    assert environment_of(gpu)["CLIP_DEVICE"] == "cuda" and gpu["build"]["args"]["TORCH_INDEX_URL"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert "-Q" not in worker["command"]  # the main worker takes every queue, embedding included
    assert 'GALLERY_EMBEDDING_QUEUE", default="embedding"' in SETTINGS_SOURCE


def test_caddy_reads_the_proxy_configuration_as_intended():
    """Debian's caddy adapts the Caddyfile to its JSON: it parses, and media, static and the rest route as meant."""
    import json
    import os
    import subprocess

    result = subprocess.run(["caddy", "adapt", "--config", str(BASE_DIR / "deploy" / "Caddyfile"), "--adapter",
                             "caddyfile"], env={**os.environ, "SITE_ADDRESS": "art.example.org"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"level":"warn"' not in result.stderr, result.stderr
    server = json.loads(result.stdout)["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"] and server["routes"][0]["match"] == [{"host": ["art.example.org"]}]
    text = json.dumps(server)
    for prefix, root in (("/media/*", "/srv/media"), ("/static/*", "/srv/static")):
        assert f'"path": ["{prefix}"]' in text and f'"root": "{root}"' in text
    assert '"handler": "reverse_proxy"' in text and '"name": "web"' in text and '"port": "8000"' in text
