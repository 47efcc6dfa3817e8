"""/readyz answers 503 naming the dependency that is down."""

from __future__ import annotations

from dramatiq.brokers.redis import RedisBroker

from tests.e2e.fleet import free_port
from web.app import create_app
from web.runtime import Runtime


def test_readyz_is_503_when_the_broker_cannot_be_reached(app):
    live = app.extensions["flowker"]
    dead_broker = RedisBroker(url=f"redis://127.0.0.1:{free_port()}/0", namespace="flowker-dead")
    runtime = Runtime(settings=live.settings, broker=dead_broker, dispatcher=live.dispatcher, engine=live.engine)
    response = create_app(live.settings, runtime).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy"
    assert response.json["checks"]["broker"]["status"] == "down"
    assert response.json["checks"]["database"]["status"] == "up"
