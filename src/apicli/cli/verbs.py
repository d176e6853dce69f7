"""The request verbs: get, post, put, patch, delete, head, and the generic `request`."""

from __future__ import annotations

from typing import Annotated

import typer

from ..client import perform
from ..flags import CommonFlags
from .application import app
from .common import open_run_client, prepare_run, request_options

UrlArgument = Annotated[
    str, typer.Argument(help="URL; the scheme may be left out, and :PORT/path means http://localhost:PORT/path.")
]
ItemsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Request items: Name:Value header, name==value query, field=value JSON string, "
        "field:=json raw JSON, field=@file / field:=@file from a file, field@file upload.",
        show_default=False,
    ),
]


def send_one(method: str, url: str, items: list[str] | None, flags: CommonFlags) -> None:
    run = prepare_run(method, url, items, flags)
    invocation = run.invocation
    perform(
        open_run_client(run),
        invocation.spec,
        run.plan,
        run.stdout,
        include=invocation.output.include,
        ignore_status=invocation.output.ignore_status,
        jq=invocation.jq,
        schema=invocation.schema,
    )


def _verb(method: str, summary: str, examples: list[str]) -> None:
    lines = "\n\n".join(f"  $ {example}" for example in examples)

    @request_options
    def command(url: UrlArgument, items: ItemsArgument = None, *, flags: CommonFlags) -> None:
        send_one(method, url, items, flags)

    command.__doc__ = f"{summary}\n\nExamples:\n\n{lines}"
    app.command(name=method.lower(), help=command.__doc__)(command)


_verb(
    "GET",
    "Fetch a resource.",
    [
        "apicli get api.example.com/users/1",
        "apicli get :8080/users per_page==50 | jq -r '.[].login'",
        "apicli get api.example.com/me --token-env API_TOKEN -i",
    ],
)
_verb(
    "POST",
    "Create: send a JSON body built from items, --json or --data.",
    [
        "apicli post :8080/users name=ann age:=31 tags:='[\"a\"]'",
        "apicli post :8080/users --json @user.json",
        "apicli post :8080/upload file@report.csv",
    ],
)
_verb(
    "PUT",
    "Replace a resource.",
    [
        "apicli put :8080/users/1 name=ann admin:=true",
        "apicli put :8080/users/1 --json @user.json --schema user.schema.json",
    ],
)
_verb(
    "PATCH",
    "Update part of a resource.",
    ["apicli patch :8080/users/1 email=ann@example.com", "apicli patch /users/1 -P prod active:=false --dry-run"],
)
_verb("DELETE", "Delete a resource.", ["apicli delete :8080/users/1", "apicli delete :8080/users/1 --ignore-status"])
_verb(
    "HEAD",
    "Fetch only the status line and headers, printed on stdout like the body of other commands.",
    ["apicli head :8080/files/big.bin -i", "apicli head api.example.com/health --retries 0 --max-time 5"],
)


@app.command(name="request")
@request_options
def request_command(
    method: Annotated[str, typer.Argument(help="HTTP method, e.g. OPTIONS.")],
    url: UrlArgument,
    items: ItemsArgument = None,
    *,
    flags: CommonFlags,
) -> None:
    """Send a request with any method.

    Examples:

      $ apicli request OPTIONS :8080/users -i

      $ apicli request PROPFIND :8080/dav/ Depth:1
    """
    if not method.isalpha():
        from ..errors import UsageError

        raise UsageError(f"invalid HTTP method {method!r}")
    send_one(method.upper(), url, items, flags)
