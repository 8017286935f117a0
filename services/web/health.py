"""Liveness, readiness and what is configured: for the container, the proxy and the operator.

None of them calls Plaid or Experian, and none says a setting's value: only whether the
settings parse, whether what the configured mode needs answers, and which integrations and
mode are configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.runtime.identity import on_this_machine
from services.runtime.keeping import failed, keeps_history, kept_store
from services.runtime.settings import Settings, SettingsError, current_settings
from services.runtime.shared_store import shared_store
from services.runtime.sharing import storage_mode
from services.storage.errors import StoreError

CheckResult = Literal["ok", "invalid", "unavailable", "not configured", "not checked"]
StorageMode = Literal["stateless", "hybrid", "traditional"]
PASSING: frozenset[CheckResult] = frozenset({"ok", "not configured"})


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, CheckResult]

    @property
    def ready(self) -> bool:
        return all(result in PASSING for result in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {"ready": self.ready, "checks": dict(self.checks)}


def database_configured(settings: Settings) -> bool:
    """Traditional mode: ``DATABASE_URL`` is set."""
    return keeps_history(settings)


def check_database(settings: Settings) -> CheckResult:
    """Traditional mode: the history store opens (migrated to this version) and answers a
    read of its schema's revision now."""
    if not database_configured(settings):
        return "not configured"
    store = kept_store(settings)
    if store is None:
        return "unavailable"
    try:
        store.revision()
    except StoreError as error:
        failed(error)
        return "unavailable"
    return "ok"


def check_redis(settings: Settings) -> CheckResult:
    """Hybrid mode: the shared Redis answers PING now."""
    store = shared_store(settings)
    if store is None:
        return "not configured"
    return "ok" if store.answers_ping() else "unavailable"


def readiness(settings: Settings | None) -> Readiness:
    """``None`` for settings that do not parse: nothing else can be asked then."""
    if settings is None:
        return Readiness({"settings": "invalid", "redis": "not checked", "database": "not checked"})
    return Readiness(
        {"settings": "ok", "redis": check_redis(settings), "database": check_database(settings)}
    )


def configured_storage(settings: Settings) -> StorageMode:
    return "traditional" if database_configured(settings) else storage_mode(settings)


def configuration_status(settings: Settings) -> dict[str, str]:
    """Which integrations and mode are configured; never a value."""
    return {
        "plaid": "configured" if settings.plaid_configured else "demo",
        "experian": "configured" if settings.experian_configured else "not configured",
        "sign_in": "on" if settings.sign_in is not None else "off",
        "storage": configured_storage(settings),
    }


def settings_or_none() -> Settings | None:
    """The settings as the app reads them, or None when they do not parse (the app says why
    on its pages and in its log; these routes only say that they do not)."""
    try:
        return current_settings()
    except SettingsError:
        return None


def from_this_machine(request: Request) -> bool:
    """The rule a local run's visitor is held to (services/runtime/identity.py): a loopback
    connection that calls the app by a local name, so a page rebinding its own name to this
    machine is refused too."""
    address = request.client.host if request.client else None
    return on_this_machine(address, request.headers.get("host"))


# --- Routes ------------------------------------------------------------------------------------


async def healthz(_: Request) -> Response:
    """Liveness: the process serves requests (uvicorn starts Streamlit's runtime first)."""
    return PlainTextResponse("ok")


async def readyz(_: Request) -> Response:
    report = await run_in_threadpool(lambda: readiness(settings_or_none()))
    return JSONResponse(report.as_json(), status_code=200 if report.ready else 503)


async def config_status(request: Request) -> Response:
    if not from_this_machine(request):
        return JSONResponse(
            {"error": "only answered on the machine running the app"}, status_code=403
        )
    settings = await run_in_threadpool(settings_or_none)
    if settings is None:
        return JSONResponse({"settings": "invalid"}, status_code=503)
    status = await run_in_threadpool(configuration_status, settings)
    return JSONResponse({"settings": "ok", **status})


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/config-status", config_status, methods=["GET"]),
]
