"""`newsflow`: ingest files, search, run workers and manage the store and the index."""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from services.cli import failures_commands
from services.cli.alerts_commands import alerts_app
from services.cli.apikey_commands import apikey_app
from services.cli.enrich_commands import enrich, models
from services.cli.errors import NOISY_LOGGERS, explain
from services.cli.extract_commands import extract
from services.cli.ingest_commands import feeds_app, ingest
from services.cli.ops_commands import status, trace
from services.cli.output import article_or_exit, console, print_json
from services.cli.search_commands import index_app, reindex, search
from shared.logging import configure_logging


class _OneLineErrors(TyperGroup):
    """Any failure of a command is one line on stderr saying what to do, and exit code 1;
    with --debug, the traceback instead."""

    def invoke(self, ctx: Any) -> Any:  # a click Context
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            typer.echo(f"newsflow: {explain(exc)}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_OneLineErrors, no_args_is_help=True, add_completion=False, help=__doc__)
app.command()(ingest)
app.add_typer(feeds_app, name="feeds")
db_app = typer.Typer(no_args_is_help=True, help="The article store.")
app.add_typer(db_app, name="db")
app.add_typer(index_app, name="index")
app.add_typer(failures_commands.failures_app, name="failures")
app.add_typer(apikey_app, name="apikey")
app.add_typer(alerts_app, name="alerts")
app.command()(search)
app.command()(reindex)
app.command()(extract)
app.command()(enrich)
app.command()(models)
app.command()(status)
app.command()(trace)


@app.callback()
def _setup(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Tracebacks and the libraries' logs on failures.")
    ] = False,
) -> None:
    configure_logging()
    ctx.obj = {"debug": debug}
    if not debug:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the store's schema to the newest version."""
    from shared.db import upgrade_database

    upgrade_database()
    console.print("store schema is up to date")


@app.command()
def wait(
    ids: Annotated[list[str] | None, typer.Argument(help="Article ids (default: all).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds.")] = 120.0,
) -> None:
    """Wait until the articles reach a final state (indexed, duplicate or failed)."""
    from sqlalchemy import func, select

    from shared.db import session_scope
    from shared.models import Article
    from shared.states import FINAL_STATES

    if ids:
        with session_scope() as session:
            known = set(session.scalars(select(Article.id).where(Article.id.in_(ids))))
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            console.print(f"{len(unknown)} of {len(set(ids))} ids are unknown: {shown}")
            raise typer.Exit(1)
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as session:
            query = select(func.count()).where(Article.state.not_in(list(FINAL_STATES)))
            if ids:
                query = query.where(Article.id.in_(ids))
            pending = session.scalar(query) or 0
        if not pending:
            console.print("all articles reached a final state")
            return
        if time.monotonic() > deadline:
            console.print(f"{pending} articles still in flight after {timeout:.0f}s")
            raise typer.Exit(1)
        time.sleep(0.5)


@app.command()
def show(article_id: str) -> None:
    """Print one article's state and fields from the store."""
    from shared.db import session_scope
    from shared.views import article_view

    with session_scope() as session:
        print_json(article_view(article_or_exit(session, article_id)))


WORKER_APPS = {
    "ingest": "services.ingest.worker",
    "enrich": "services.enrich.worker",
    "index": "services.indexer.worker",
    "scheduler": "services.scheduler.worker",
    "feeds": "services.ingest.worker",  # feed polling, on its own queue (ingest code)
    "alerts": "services.alerts.worker",
}


@app.command()
def worker(
    stage: Annotated[str, typer.Argument(help="ingest, enrich, index, scheduler, feeds or alerts")],
    concurrency: Annotated[
        int | None, typer.Option(help="Worker processes [default: the cores available].")
    ] = None,
    beat: Annotated[bool, typer.Option(help="Also run Celery beat (scheduler only).")] = False,
) -> None:
    """Run the Celery worker of one stage (replaces this process)."""
    from shared.settings import get_settings

    if stage not in WORKER_APPS:
        raise typer.BadParameter(f"unknown stage {stage!r}")
    settings = get_settings()
    queue = settings.queue_name(stage)
    if settings.metrics_port:
        # Pool children write their metrics to files that the main process sums up.
        from shared.metrics import prepare_multiprocess_dir

        metrics_dir = settings.stack_dir / "metrics" / f"{queue}-{settings.metrics_port}"
        prepare_multiprocess_dir(str(metrics_dir))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        WORKER_APPS[stage],
        "--quiet",  # no banner on stdout: every line of a worker's output is JSON
        "worker",
        "-Q",
        queue,
        "--concurrency",
        str(concurrency or len(os.sched_getaffinity(0))),
        "--loglevel",
        "INFO",
        "-n",
        f"{stage}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        # Under this deployment's state directory: two stacks never share a schedule.
        schedule = settings.stack_dir / "beat" / f"{queue}-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", "--schedule", str(schedule)]
    os.execv(sys.executable, argv)  # noqa: S606 - argv is built here, not from input


if __name__ == "__main__":
    app()
