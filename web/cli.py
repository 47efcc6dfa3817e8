"""The ``flowker`` command: the composition root of every process.

  flowker serve [--host H] [--port P]   API server (embedded mode: also workers and sweep)
  flowker worker [--threads N]          Dramatiq worker of a fleet
  flowker scheduler                     recovery sweep (and, later, cron triggers)
  flowker migrate                       apply pending schema migrations
  flowker secrets rotate                re-encrypt stored secrets with the newest key

Settings come from the environment (see ``core.config.Settings``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from core import db
from core.config import Settings
from core.migrate import apply_migrations

DEFAULT_PORT = 4021


def _serve(args, settings: Settings) -> int:
    from werkzeug.serving import make_server

    from web.app import create_app

    app = create_app(settings)
    runtime = app.extensions["flowker"]
    server = make_server(args.host, args.port, app, threaded=True)
    logging.getLogger("flowker").info("Flowker listening on http://%s:%d", args.host, server.server_port)
    print(f"Flowker listening on http://{args.host}:{server.server_port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    return 0


def _worker(args, settings: Settings) -> int:
    from web.runtime import build_runtime
    from worker.runtime import run_until_signalled

    if settings.is_embedded_broker:
        print("flowker worker needs BROKER_URL=redis://...; the embedded mode runs workers inside 'flowker serve'", file=sys.stderr)
        return 2
    runtime = build_runtime(settings, migrate=False, run_workers=False)
    run_until_signalled(runtime.broker, args.threads or settings.worker_threads)
    runtime.broker.close()
    return 0


def fake_clock(spec: str):
    """``"<ISO UTC start>@<rate>"`` → a clock starting there and running ``rate`` times
    faster than real time. For rehearsing schedules (FLOWKER_SCHEDULER_FAKE_CLOCK); never
    set it in production."""
    import time
    from datetime import datetime, timedelta

    start_text, _, rate_text = spec.partition("@")
    start = datetime.fromisoformat(start_text.replace("Z", "+00:00")).replace(tzinfo=None)
    rate, origin = float(rate_text or 1), time.monotonic()
    return lambda: start + timedelta(seconds=(time.monotonic() - origin) * rate)


def _scheduler(args, settings: Settings) -> int:
    import os

    from scheduler.sweeper import run_sweeper
    from web.runtime import build_runtime

    runtime = build_runtime(settings, migrate=False, run_workers=False)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    clock = fake_clock(os.environ["FLOWKER_SCHEDULER_FAKE_CLOCK"]) if os.environ.get("FLOWKER_SCHEDULER_FAKE_CLOCK") else None
    print("Flowker scheduler running", flush=True)
    run_sweeper(runtime.dispatcher, settings, stop, clock)
    runtime.broker.close()
    return 0


def _migrate(args, settings: Settings) -> int:
    db.connect(settings.database_url)
    applied = apply_migrations()
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def rotate_secrets() -> int:
    """Re-encrypt every stored secret with the newest key of FLOWKER_SECRET_KEYS; returns
    how many configurations were rewritten (``flowker secrets rotate``)."""
    from core import secrets
    from core.models import ExecutorConfiguration, ProviderConfiguration

    count = 0
    with db.transaction():
        for model in (ProviderConfiguration, ExecutorConfiguration):
            for row in model.select(model.id, model.secrets).where(model.secrets.is_null(False)):
                model.update(secrets=secrets.rotate(row.secrets)).where(model.id == row.id).execute()
                count += 1
    return count


def _secrets(args, settings: Settings) -> int:
    from core import secrets

    db.connect(settings.database_url)
    secrets.configure()
    try:
        count = rotate_secrets()
    except Exception as exc:  # InvalidToken: none of the keys opens some stored secret
        print(f"rotation stopped, nothing changed: a stored secret cannot be decrypted with FLOWKER_SECRET_KEYS ({type(exc).__name__})", file=sys.stderr)
        return 1
    print(f"re-encrypted the secrets of {count} configurations with the newest key")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flowker", description="Workflow orchestration for financial operations.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    worker = sub.add_parser("worker", help="run a Dramatiq worker (fleet mode)")
    worker.add_argument("--threads", type=int, default=0)
    sub.add_parser("scheduler", help="run the recovery sweep")
    sub.add_parser("migrate", help="apply schema migrations")
    secrets_cmd = sub.add_parser("secrets", help="manage the encryption of stored secrets")
    secrets_cmd.add_argument("action", choices=["rotate"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    handler = {"serve": _serve, "worker": _worker, "scheduler": _scheduler, "migrate": _migrate, "secrets": _secrets}[args.command]
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
