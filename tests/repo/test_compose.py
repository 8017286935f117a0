"""The hybrid deployment's compose file (``docs/compose.yaml``), read rather than run: no Docker
engine runs where this project is developed. Its shape is what docs/DEPLOYMENT.md promises: two
replicas of the repository's image sharing one Redis, behind a proxy that keeps each browser on
one replica and passes its WebSocket through, a health check on every service, and secrets
only by reference.
"""

from __future__ import annotations

import copy
import re
import secrets
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet

from tests.support.apps import ROOT

COMPOSE = ROOT / "docs" / "compose.yaml"
DEPLOYMENT = ROOT / "docs" / "DEPLOYMENT.md"
APP_PORT = 8501
HEALTH_PATH = "/healthz"  # the ASGI entry's liveness route (services/web/health.py)
# The headers the app sets itself (services/web/headers.py): the proxy must not add a second.
APP_HEADERS = {"content-security-policy", "strict-transport-security", "cache-control",
               "x-content-type-options", "referrer-policy"}  # fmt: skip
# What every replica must share: one cache, one key naming and sealing it, one cookie secret.
SHARED_VARIABLES = ("REDIS_URL", "TOKEN_ENCRYPTION_KEY", "STREAMLIT_SERVER_COOKIE_SECRET")
SECRETS_TOML = "/app/.streamlit/secrets.toml"  # [auth], with its cookie_secret
CADDYFILE = "/etc/caddy/Caddyfile"
# Caddyfile directives that could send some paths somewhere other than the replicas.
ROUTING_DIRECTIVES = {"handle", "handle_path", "route", "respond", "redir", "rewrite", "uri"}

# A variable named like one of these holds a credential: its value comes by reference only.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CLIENT_ID|USERNAME|APPLICANT|"
                         r"SUBSCRIBER|AUTH|CREDENTIAL|REDIS_URL")  # fmt: skip
# A reference to a variable, plain or required (``${NAME}``, ``${NAME:?message}``). One with a
# default (``${NAME:-value}``) is not: its value is written in the file.
REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}")
# Text that is a secret wherever it stands, comments included.
SECRET_LOOKS = {
    "a PEM private key or certificate": re.compile(r"-----BEGIN"),
    "an API key (sk_/pk_/rk_)": re.compile(r"\b[spr]k_(?:live|test)_[A-Za-z0-9]{8,}"),
    "a Plaid access token": re.compile(r"access-(?:sandbox|development|production)-[0-9a-f-]{8,}"),
    "a Fernet key": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}="),
}
# A long run of letters and digits with both in it: a generated password, key or token.
RANDOM_LOOKING = re.compile(r"[A-Za-z0-9+/_=-]{20,}")


def compose_spec(text: str | None = None) -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text() if text is None else text)


def from_compose_dir(relative: str) -> Path:
    """A path in the compose file, which Compose resolves from the file's own directory."""
    return (COMPOSE.parent / relative).resolve()


def app_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services built from this repository with its Dockerfile."""
    found = {}
    for name, service in spec["services"].items():
        build = service.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if not build:
            continue
        context = from_compose_dir(build["context"])
        if context == ROOT and (context / build.get("dockerfile", "Dockerfile")) == (
            ROOT / "Dockerfile"
        ):
            found[name] = service
    return found


def the_service(spec: dict[str, Any], image_prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(n, s) for n, s in spec["services"].items()
                if str(s.get("image", "")).startswith(image_prefix)]  # fmt: skip
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment``, in either of Compose's two forms."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(entry.split("=", 1) if "=" in entry else (entry, "") for entry in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def secret_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Where each secret a service is given lands: target path -> secret name."""
    mounts = {}
    for entry in service.get("secrets") or []:
        source = entry if isinstance(entry, str) else entry["source"]
        target = entry if isinstance(entry, str) else entry.get("target", source)
        mounts[target if target.startswith("/") else f"/run/secrets/{target}"] = source
    return mounts


def published_ports(service: dict[str, Any]) -> list[str]:
    return [str(p if not isinstance(p, dict) else p.get("published", "")) for p in
            service.get("ports") or []]  # fmt: skip


def dereferenced(value: str) -> str:
    """A value with every ``${...}`` reference taken out: what is written there literally."""
    return REFERENCE.sub("", value)


# --- Guards: each returns what it found wrong, so a planted fault can show it is caught --------


def services_without_health_checks(spec: dict[str, Any]) -> list[str]:
    missing = []
    for name, service in spec["services"].items():
        check = service.get("healthcheck") or {}
        test = check.get("test")
        if check.get("disable") or not test or (isinstance(test, list) and test[0] == "NONE"):
            missing.append(name)
    return missing


def inline_secrets(text: str) -> list[str]:
    """Every place the compose file writes a secret's value instead of referring to it."""
    found = []
    spec = compose_spec(text)
    for name, service in spec["services"].items():
        for variable, value in environment(service).items():
            if not SECRET_NAME.search(variable):
                continue
            literal = dereferenced(value)
            if "://" in literal:  # a URL: only its user name and password are secret
                parts = urlsplit(literal)
                literal = f"{parts.username or ''}{parts.password or ''}"
            if literal:
                found.append(f"{name}: {variable} has a literal value")
    for name, definition in (spec.get("secrets") or {}).items():
        if not ({"file", "environment", "external"} & set(definition)):
            found.append(f"secret {name} is not taken from a file or the environment")
    plain = dereferenced(text)
    for what, pattern in SECRET_LOOKS.items():
        if pattern.search(plain):
            found.append(f"{what} is written in the file")
    for run in RANDOM_LOOKING.findall(plain):
        if re.search(r"[0-9]", run) and re.search(r"[A-Za-z]", run):
            found.append(f"a random-looking string of {len(run)} characters is written in the file")
    return found


# --- The Caddyfile, inline in the compose file -------------------------------------------------


def caddyfile(spec: dict[str, Any]) -> str:
    """The proxy's Caddyfile: the config the proxy mounts where Caddy reads it."""
    _, proxy = the_service(spec, "caddy:")
    (source,) = [c["source"] for c in proxy["configs"] if c.get("target") == CADDYFILE]
    return spec["configs"][source]["content"]


def directives(config: str) -> list[list[str]]:
    """Each line of a Caddyfile as its tokens, comments and blank lines left out."""
    lines = (line.strip() for line in config.splitlines())
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def block(lines: list[list[str]], head: str) -> tuple[list[str], list[list[str]]]:
    """The first directive named ``head`` and the lines of its block (nested ones included)."""
    start = next(i for i, line in enumerate(lines) if line[0] == head)
    inside, depth = [], 1 if lines[start][-1] == "{" else 0
    for line in lines[start + 1 :] if depth else []:
        depth += (line[-1] == "{") - (line == ["}"])
        if depth == 0:
            break
        inside.append(line)
    return lines[start], inside


def hybrid_section() -> str:
    return DEPLOYMENT.read_text().split("\n## Hybrid mode (Redis)\n", 1)[1].split("\n## ", 1)[0]


# --- The services --------------------------------------------------------------------------------


def test_two_replicas_of_the_repository_image_start_once_redis_is_healthy() -> None:
    spec = compose_spec()
    apps = app_services(spec)
    redis_name, _ = the_service(spec, "redis:7")
    assert len(apps) == 2
    for name, app in apps.items():
        assert app["depends_on"][redis_name]["condition"] == "service_healthy", name
        url = urlsplit(dereferenced(environment(app)["REDIS_URL"]))
        assert (url.scheme, url.hostname) == ("redis", redis_name), name


def test_every_service_has_a_health_check() -> None:
    spec = compose_spec()
    assert services_without_health_checks(spec) == []
    for name, app in app_services(spec).items():
        assert HEALTH_PATH in " ".join(app["healthcheck"]["test"]), name
    _, redis = the_service(spec, "redis:")
    assert re.search(r"redis-cli .*ping", " ".join(redis["healthcheck"]["test"]))


def test_the_proxy_waits_for_both_replicas_and_is_the_only_service_reachable() -> None:
    spec = compose_spec()
    proxy_name, proxy = the_service(spec, "caddy:")
    published = {name for name, s in spec["services"].items() if published_ports(s)}
    assert published == {proxy_name}
    assert "443:443" in published_ports(proxy)  # HTTPS, on its usual port
    for name in app_services(spec):
        assert proxy["depends_on"][name]["condition"] == "service_healthy", name
    _, redis = the_service(spec, "redis:")
    for network in redis["networks"]:
        assert spec["networks"][network].get("internal") is True, network
        assert network not in proxy["networks"], network


def test_the_replicas_share_each_secret_by_the_same_reference() -> None:
    spec = compose_spec()
    apps = list(app_services(spec).values())
    for variable in SHARED_VARIABLES:
        values = {environment(app).get(variable) for app in apps}
        assert len(values) == 1, variable
        (value,) = values
        assert value, variable
        assert REFERENCE.search(value), variable
    mounts = {tuple(sorted(secret_mounts(app).items())) for app in apps}
    assert len(mounts) == 1
    secret = dict(mounts.pop())[SECRETS_TOML]
    assert "file" in spec["secrets"][secret]


def test_no_secret_is_written_in_the_compose_file() -> None:
    assert inline_secrets(COMPOSE.read_text()) == []


def test_redis_evicts_least_recently_used_keeps_nothing_on_disk_and_asks_a_password() -> None:
    spec = compose_spec()
    _, redis = the_service(spec, "redis:")
    shell = redis["command"]
    command = shell[-1] if shell[:2] == ["sh", "-c"] else " ".join(shell)
    args = shlex.split(command.replace("$$", "$"))  # Compose's escape for a literal $
    option = {name: args[args.index(name) + 1] for name in args if name.startswith("--")}
    assert option["--maxmemory"].endswith(("mb", "gb"))
    assert option["--maxmemory-policy"] in {"allkeys-lru", "volatile-lru"}
    assert (option["--save"], option["--appendonly"]) == ("", "no")
    password_file = re.fullmatch(r"\$\(cat (/run/secrets/\w+)\)", option["--requirepass"])
    assert password_file
    assert password_file.group(1) in secret_mounts(redis)


# --- The proxy -----------------------------------------------------------------------------------


def test_the_proxy_keeps_each_browser_on_one_replica_and_passes_websockets() -> None:
    spec = compose_spec()
    lines = directives(caddyfile(spec))
    head, options = block(lines, "reverse_proxy")
    upstreams = [token for token in head[1:] if token != "{"]
    assert sorted(upstreams) == sorted(f"{name}:{APP_PORT}" for name in app_services(spec))
    # No matcher (the upstreams above are all it names) and no route around it in the site:
    # every path, /_stcore/stream included, reaches a replica.
    (address,) = [line[0] for line in lines if line[0].startswith("${SITE_ADDRESS")]
    _, site = block(lines, address)
    assert head in site
    assert not [line[0] for line in site if line[0] in ROUTING_DIRECTIVES]
    settings = {line[0]: line[1:] for line in options}
    assert settings["lb_policy"][0] == "cookie"
    assert settings["health_uri"] == [HEALTH_PATH]
    assert "stream_close_delay" in settings  # open WebSockets outlive a reload for a while
    assert "stream_timeout" not in settings  # which would cut every session after a while


def headers_the_proxy_sets(config: str) -> set[str]:
    """Header names the Caddyfile sets or adds, in a one-line ``header Name value`` or inside a
    ``header {`` block (``-Name`` only deletes one)."""
    lines = directives(config)
    named = [line[1] for line in lines if line[0] == "header" and line[-1] != "{"]
    if any(line[0] == "header" and line[-1] == "{" for line in lines):
        named += [line[0] for line in block(lines, "header")[1]]
    return {name.lstrip("+").lower() for name in named if not name.startswith("-")}


def test_the_proxy_leaves_the_security_headers_to_the_app() -> None:
    """The replicas send them; a second Content-Security-Policy would be enforced too."""
    config = caddyfile(compose_spec())
    assert headers_the_proxy_sets(config) & APP_HEADERS == set()
    planted = config.replace("header -Server", 'header Cache-Control "no-store"')
    assert headers_the_proxy_sets(planted) == {"cache-control"}


def test_the_replicas_run_the_asgi_entry_trusting_the_proxys_forwarded_headers() -> None:
    for name, app in app_services(compose_spec()).items():
        command = app["command"]
        assert command[:2] == ["uvicorn", "services.web.asgi:app"], name
        assert "--forwarded-allow-ips=*" in command, name  # X-Forwarded-Proto: https, so HSTS


# --- The guide -----------------------------------------------------------------------------------


def test_the_deployment_guide_says_how_to_run_it_and_what_it_needs() -> None:
    section = hybrid_section()
    assert "docker compose" in section
    assert "-f docs/compose.yaml" in section
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", COMPOSE.read_text()))
    assert {name for name in required if f"`{name}`" not in section} == set()
    _, redis = the_service(compose_spec(), "redis:")
    policy = re.search(r"--maxmemory-policy (\S+)", redis["command"][-1])
    assert policy
    assert f"`{policy.group(1)}`" in section
    assert "`noeviction`" in section


def test_what_the_guide_says_to_look_for_is_what_the_app_says() -> None:
    section = hybrid_section()
    assert "Shared cache: Redis" in section
    assert 'st.caption("Shared cache: Redis")' in (ROOT / "app.py").read_text()
    store = (ROOT / "services" / "runtime" / "shared_store.py").read_text()
    assert "shared cache refusing writes" in section
    assert '"refusing writes": "new data stays in this process"' in store
    assert '"shared cache %s (%s); %s"' in store


# --- The guards catch what they forbid -----------------------------------------------------------


def _with_environment(variable: str, value: str) -> str:
    """The compose file with one variable of the replicas set to ``value``."""
    spec = compose_spec()
    for app in app_services(spec).values():
        app["environment"] = {**app["environment"], variable: value}
    return yaml.safe_dump(spec, sort_keys=False)


def _planted() -> list[Any]:
    """The compose file with one secret written into it, each a different way."""
    key = Fernet.generate_key().decode()
    text = COMPOSE.read_text()
    return [
        pytest.param(_with_environment("TOKEN_ENCRYPTION_KEY", key), id="a key"),
        pytest.param(
            _with_environment("TOKEN_ENCRYPTION_KEY", f"${{TOKEN_ENCRYPTION_KEY:-{key}}}"),
            id="a key as a default",
        ),
        pytest.param(
            _with_environment("REDIS_URL", "redis://:hunter2@redis:6379/0"),
            id="a password in the URL",
        ),
        pytest.param(_with_environment("PLAID_SECRET", "not-a-reference"), id="a Plaid secret"),
        pytest.param(text + f"# {secrets.token_hex(16)}\n", id="a password in a comment"),
        pytest.param(text + "# -----BEGIN PRIVATE KEY-----\n", id="a private key"),
    ]


@pytest.mark.parametrize("text", _planted())
def test_an_inlined_secret_is_caught(text: str) -> None:
    assert inline_secrets(text)


def test_the_planted_files_differ_from_the_real_one_only_in_the_secret() -> None:
    """So each planted test above fails for the secret, not for something lost on the way."""
    unchanged = yaml.safe_dump(compose_spec(), sort_keys=False)
    assert compose_spec(unchanged) == compose_spec()
    assert inline_secrets(unchanged) == []


@pytest.mark.parametrize(
    "fault",
    [
        lambda s: s["services"]["redis"].pop("healthcheck"),
        lambda s: s["services"]["proxy"]["healthcheck"].update(disable=True),
        lambda s: s["services"]["app-b"].update(healthcheck={"test": ["NONE"]}),
    ],
    ids=["removed", "disabled", "NONE"],
)
def test_a_dropped_health_check_is_caught(fault: Any) -> None:
    spec = copy.deepcopy(compose_spec())
    fault(spec)
    assert len(services_without_health_checks(spec)) == 1
