"""The Dockerfile cannot be built here (no Docker engine), so check what decides where CLIP weights go: the build
bakes them into the Hugging Face cache of the user and environment at its fetch step, and the containers read the cache
of the user and environment they run with. Both must be one path, covered by the compose volume."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import yaml

from tests.helpers import BASE_DIR

DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [tuple(text.split(None, 1)) for text in logical]


def environment_at(predicate) -> dict[str, str]:
    """USER and ENV in force at the first RUN whose command matches `predicate` (or at the end, for None)."""
    state = {"USER": "root"}
    for instruction, arguments in instructions():
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                state[name] = value
        elif instruction == "USER":
            state["USER"] = arguments.strip()
        elif instruction == "RUN" and predicate is not None and predicate(arguments):
            return state
    assert predicate is None, "no such RUN step"
    return state


def hub_cache_of(state: dict[str, str]) -> str:
    """Where huggingface_hub (so open_clip's download) keeps files for this user and environment."""
    home = "/root" if state["USER"] == "root" else f"/home/{state['USER']}"
    env = {"PATH": os.environ["PATH"], "HOME": home, **{k: v for k, v in state.items() if k.startswith("HF_")}}
    code = "import huggingface_hub.constants as c; print(c.HF_HUB_CACHE)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_baked_weights_are_where_the_containers_look():
    build = environment_at(lambda command: "fetch_clip_weights" in command)
    runtime = environment_at(None)
    assert build["USER"] == runtime["USER"] != "root"  # baked files belong to the user who reads (and updates) them
    assert hub_cache_of(build) == hub_cache_of(runtime)


def test_every_clip_service_mounts_the_volume_on_that_cache():
    runtime = environment_at(None)
    cache = hub_cache_of(runtime)
    for name in ("web", "worker"):
        service = COMPOSE["services"][name]
        mounts = [volume.split(":")[1] for volume in service["volumes"] if volume.startswith("hf-cache:")]
        assert mounts and any(cache == mount or cache.startswith(mount.rstrip("/") + "/") for mount in mounts), name
        env = service.get("environment") or {}
        assert "HF_HOME" not in env and "HF_HUB_CACHE" not in env  # the image's ENV is the one place
