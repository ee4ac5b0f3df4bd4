"""`newsflow apikey hash|new`: the keys the API checks (see `shared.apikeys`)."""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated

import typer

from shared.apikeys import SCOPES, hash_api_key

apikey_app = typer.Typer(no_args_is_help=True, help="API keys.")


@apikey_app.command("hash")
def hash_command(
    key: Annotated[str | None, typer.Argument(help="The key (default: read stdin).")] = None,
    scopes: Annotated[
        list[str] | None, typer.Option("--scope", help="Print an api_keys entry with scopes.")
    ] = None,
) -> None:
    """Print the sha256 digest to store in NEWSFLOW_API_KEYS for KEY."""
    if key is None:
        key = sys.stdin.readline().rstrip("\n")
    if not key:
        raise typer.BadParameter("empty key")
    digest = hash_api_key(key)
    if not scopes:
        sys.stdout.write(digest + "\n")
        return
    unknown = set(scopes) - SCOPES
    if unknown:
        raise typer.BadParameter(f"unknown scopes {sorted(unknown)}", param_hint="--scope")
    sys.stdout.write(json.dumps({digest: sorted(set(scopes))}) + "\n")


@apikey_app.command("new")
def new_command(
    scopes: Annotated[list[str], typer.Option("--scope", help="ingest, search or admin.")],
) -> None:
    """Make a random key: prints the key (give it to the client) and the NEWSFLOW_API_KEYS
    line for the API (add its entry to the ones you have, if any)."""
    unknown = set(scopes) - SCOPES
    if unknown:
        raise typer.BadParameter(f"unknown scopes {sorted(unknown)}", param_hint="--scope")
    key = secrets.token_urlsafe(32)
    entry = json.dumps({hash_api_key(key): sorted(set(scopes))})
    sys.stdout.write(
        f"# the key, for the client (not stored anywhere):\n{key}\n"
        f"# for the API's environment (only the key's sha256 is in it):\n"
        f"NEWSFLOW_API_KEYS='{entry}'\n"
    )
