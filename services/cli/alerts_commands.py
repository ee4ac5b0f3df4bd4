"""`newsflow alerts add|list|show|remove|test|resume|replay`: saved searches from the shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from services.cli.output import console, print_json

alerts_app = typer.Typer(no_args_is_help=True, help="Saved searches that notify (alerts).")

_Multi = list[str] | None


def _fail(message: str) -> typer.Exit:
    """One line on stderr, exit code 1, like every command's refusal."""
    typer.echo(f"newsflow: {message}", err=True)
    return typer.Exit(1)


@alerts_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name people recognise.")],
    q: Annotated[str, typer.Option("--q", "-q", help="Full text, as for `search`.")] = "",
    person: Annotated[_Multi, typer.Option(help="Person filter (repeatable).")] = None,
    organization: Annotated[_Multi, typer.Option(help="Organization filter.")] = None,
    place: Annotated[_Multi, typer.Option(help="Place filter.")] = None,
    speaker: Annotated[_Multi, typer.Option(help="Quoted speaker filter.")] = None,
    source: Annotated[_Multi, typer.Option(help="Source filter.")] = None,
    language: Annotated[_Multi, typer.Option(help="Language filter (ISO 639-1).")] = None,
    keyword: Annotated[_Multi, typer.Option(help="Keyword filter.")] = None,
    event: Annotated[_Multi, typer.Option(help="Event filter.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST matches here (else pull).")] = None,
    secret: Annotated[str | None, typer.Option(help="Signing secret (default: generated).")] = None,
) -> None:
    """Save a search; prints the alert with its secret (shown this once)."""
    from pydantic import ValidationError

    from shared.alerts import AlertLimitReached, AlertSpec, alert_view, create_alert
    from shared.db import session_scope
    from shared.netguard import BlockedURL, check_public_url
    from shared.settings import get_settings

    try:
        spec = AlertSpec(
            name=name,
            q=q,
            person=person or [],
            organization=organization or [],
            place=place or [],
            speaker=speaker or [],
            source=source or [],
            language=language or [],
            keyword=keyword or [],
            event=event or [],
            webhook_url=webhook,
            secret=secret,
        )
        if webhook:
            check_public_url(webhook, allow=get_settings().alert_webhook_allow)
    except ValidationError as exc:
        raise _fail("; ".join(e["msg"] for e in exc.errors())) from None
    except BlockedURL as exc:
        raise _fail(f"webhook refused ({exc.reason}): {exc}") from None
    with session_scope() as session:
        try:
            alert, shown_secret = create_alert(session, spec)
        except AlertLimitReached as exc:
            raise _fail(str(exc)) from None
        print_json({**alert_view(session, alert), "secret": shown_secret})


@alerts_app.command("list")
def list_alerts() -> None:
    """Every saved search with its match counts and pause state."""
    from sqlalchemy import select

    from shared.alerts import alert_views
    from shared.db import session_scope
    from shared.models import Alert

    with session_scope() as session:
        print_json(
            alert_views(session, list(session.scalars(select(Alert).order_by(Alert.created_at))))
        )


def _load(session: Any, alert_id: str) -> Any:
    from shared.models import Alert

    alert = session.get(Alert, alert_id)
    if alert is None:
        raise _fail(f"no alert {alert_id} (`newsflow alerts list` shows them)")
    return alert


@alerts_app.command("show")
def show(
    alert_id: str,
    matches: Annotated[int, typer.Option(help="Newest matches to show.")] = 10,
) -> None:
    """One alert, its newest matches and its newest delivery attempts."""
    from shared.alerts import alert_view, delivery_view, list_deliveries, list_matches, match_view
    from shared.db import session_scope

    with session_scope() as session:
        alert = _load(session, alert_id)
        print_json(
            {
                **alert_view(session, alert),
                "newest_matches": [
                    match_view(m, a)
                    for m, a in list_matches(session, alert, after=None, size=matches)
                ],
                "newest_deliveries": [
                    delivery_view(d)
                    for d in list_deliveries(session, alert, after=None, size=matches)
                ],
            }
        )


@alerts_app.command("remove")
def remove(alert_id: str) -> None:
    """Delete an alert with its matches and delivery log."""
    from shared.alerts import delete_alert
    from shared.db import session_scope

    with session_scope() as session:
        delete_alert(session, _load(session, alert_id))
    console.print(f"removed {alert_id}")


@alerts_app.command("resume")
def resume(alert_id: str) -> None:
    """Unpause an alert that was paused because its endpoint kept failing."""
    from shared.alerts import resume_alert
    from shared.db import session_scope

    with session_scope() as session:
        resume_alert(session, _load(session, alert_id))
    console.print(f"resumed {alert_id}")


@alerts_app.command("replay")
def replay(alert_id: str) -> None:
    """Send the alert's dead deliveries again."""
    from shared.alerts import replay_dead
    from shared.db import session_scope

    with session_scope() as session:
        count = replay_dead(session, _load(session, alert_id))
    console.print(f"replayed {count} deliveries")


@alerts_app.command("test")
def try_search(
    alert_id: str,
    size: Annotated[int, typer.Option(help="How many current articles to show.")] = 10,
) -> None:
    """Run the saved search on the index now: what it finds today (nothing is sent)."""
    from shared.alerts import search_params
    from shared.db import session_scope
    from shared.search.client import get_client
    from shared.search.service import search_articles

    with session_scope() as session:
        params = search_params(_load(session, alert_id)).model_copy(
            update={"size": size, "facets": False}
        )
    page = search_articles(get_client(), params)
    print_json(
        {
            "total": page.get("total"),
            "hits": [{"id": h["id"], "title": h.get("title")} for h in page.get("hits", [])],
        }
    )
