"""``mockserver serve``: the fake on granian, for people and front ends."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click

from message_api_kit import schemas
from message_api_kit.mockserver.app import create_app
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.errors import MockError
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.seed import Seed, read_documents
from message_api_kit.mockserver.server import LOOPBACK, ProductionServer, ServerOptions
from message_api_kit.mockserver.state_file import StateFileError
from message_api_kit.mockserver.state_file import check as check_state_file
from message_api_kit.mockserver.state_file import hold as hold_state_file
from message_api_kit.mockserver.validation import load_profile, validate

LOOPBACK_HOSTS = {LOOPBACK, "localhost", "::1"}


def load_seed(path: Path | None, demo: bool) -> Seed:
    """The seed ``mockserver serve --seed PATH`` starts with: one document, or a ``--record`` file of one a line."""
    if path is None:
        return Seed.demo() if demo else Seed()
    try:
        docs = read_documents(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read seed file {str(path)!r}: {exc}", param_hint="--seed") from None
    for number, doc in enumerate(docs, 1):
        try:
            validate("seed", doc)
        except MockError as exc:
            where = f" (document {number})" if len(docs) > 1 else ""
            raise click.BadParameter(
                f"seed file {str(path)!r} is not a valid seed{where}: {exc.detail}", param_hint="--seed"
            ) from None
    return Seed.merged([Seed.from_json(doc) for doc in docs])


def _load_profile(path: Path) -> Profile:
    try:
        return load_profile(path)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read profile {str(path)!r}: {exc}", param_hint="--profile") from None
    except MockError as exc:
        raise click.BadParameter(
            f"{str(path)!r} is not a valid profile: {exc.detail}", param_hint="--profile"
        ) from None


def _upstream(url: str | None) -> str | None:
    if url is None:
        return None
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or rest.startswith("/"):
        raise click.BadParameter(f"an http:// or https:// URL, not {url!r}", param_hint="--upstream")
    return url


@click.group()
def cli() -> None:
    """A stateful fake of POST /conversations/{conversation}/messages."""


@cli.command()
@click.option(
    "--host", default=LOOPBACK, show_default=True, help="Address to bind; anything but loopback exposes the fake."
)
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one."
)
@click.option(
    "--seed", "seed_path", type=click.Path(path_type=Path, dir_okay=False), help="Seed JSON (schemas/seed.json)."
)
@click.option(
    "--state-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the default session in this SQLite file: loaded at start, each creation written before its answer.",
)
@click.option(
    "--fsync", is_flag=True, help="With --state-file: wait for the disk at every write (survives power cuts)."
)
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Answer as a real server does where the doc is silent (from `contracts diff --write-profile`).",
)
@click.option(
    "--upstream",
    help="The real API: requests for routes the kit does not declare go there and its answers come back.",
)
@click.option(
    "--upstream-timeout",
    default=MockConfig.upstream_timeout,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds the upstream has to answer before the fake answers 504.",
)
@click.option(
    "--max-upstream",
    default=MockConfig.max_passing,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="With --upstream: requests waiting on the upstream at once, each on a thread of its own (a hung upstream"
    " cannot take the fake's own); past it, a passed-on request is a 503.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="With --upstream: the vendor's operation goes there too, each exchange judged by the contract"
    " (GET /__mock__/violations lists what broke).",
)
@click.option(
    "--record",
    "record_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --upstream: write the real API's creations to this seed file as they pass (implies --watch).",
)
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Show secrets in the journal and the dashboard: Authorization, Cookie and any header or query parameter"
    " named like a token, key, secret, password, session, signature, credential or csrf (hidden by default).",
)
@click.option("--no-demo", is_flag=True, help="Start empty instead of with demo data (ignored with --seed).")
@click.option("--strict-conversations", is_flag=True, help="Only seeded conversations exist; others are 404.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Origin allowed by CORS, with credentials (repeat); default: any origin, for the vendor's API only.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Host name answered besides loopback ones and --host (repeat; '*' for any). Others get a 403.",
)
@click.option(
    "--max-body-bytes",
    default=MockConfig.max_body_bytes,
    show_default=True,
    type=click.IntRange(1),
    help="The largest request body the fake reads; larger is a 413 (passed-on routes take any size).",
)
@click.option(
    "--journal-size",
    default=MockConfig.journal_size,
    show_default=True,
    type=click.IntRange(0),
    help="Requests each session's journal keeps (GET /__mock__/journal, the dashboard), the oldest forgotten first.",
)
@click.option(
    "--max-sessions",
    default=MockConfig.max_sessions,
    show_default=True,
    type=click.IntRange(0),
    help="Named sessions (X-Mock-Session) alive at once; the least recently used is evicted past it. 0: none.",
)
@click.option(
    "--max-memory",
    "max_memory_mib",
    default=1024,
    show_default=True,
    type=click.IntRange(16),
    help="MiB of memory the fake may grow to (all sessions and snapshots); past it a write is a 507.",
)
@click.option(
    "--threads",
    default=ServerOptions.threads,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests worked on at once (Python threads); injected delays hold one each, and two are kept for other"
    " requests.",
)
@click.option(
    "--max-uploads",
    default=ServerOptions.upload_threads,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Request bodies that may be arriving at once, each on a thread of its own that works on nothing until the"
    " body is in (slow uploads wait there); past it, a request with a body is a 503.",
)
@click.option(
    "--header-timeout",
    default=ServerOptions.header_timeout,
    show_default=True,
    type=click.FloatRange(0.001, 60),
    help="Seconds a connection has to send a request head, after opening or after its last answer (slow or idle"
    " clients are closed).",
)
@click.option(
    "--keep-alive/--no-keep-alive", default=True, show_default=True, help="Keep connections open between requests."
)
@click.option(
    "--max-connections",
    default=ServerOptions.max_connections,
    show_default=True,
    type=click.IntRange(1),
    help="Connections served at once, idle ones included; more wait to be accepted.",
)
def serve(
    host: str,
    port: int,
    seed_path: Path | None,
    state_file: Path | None,
    fsync: bool,
    profile_path: Path | None,
    upstream: str | None,
    upstream_timeout: float,
    max_upstream: int,
    watch: bool,
    record_path: Path | None,
    show_secrets: bool,
    no_demo: bool,
    strict_conversations: bool,
    cors_origins: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    max_body_bytes: int,
    journal_size: int,
    max_sessions: int,
    max_memory_mib: int,
    threads: int,
    max_uploads: int,
    header_timeout: float,
    keep_alive: bool,
    max_connections: int,
) -> None:
    """Serve the fake in the foreground until Ctrl-C."""
    if (watch or record_path is not None) and upstream is None:
        raise click.UsageError("--watch and --record need --upstream: they judge and record the real API's answers")
    if record_path is not None and not record_path.parent.is_dir():
        raise click.BadParameter(f"no folder {str(record_path.parent)!r} to write it in", param_hint="--record")
    if state_file is not None:
        try:
            check_state_file(state_file)
            # Held until this process exits (its worker dies with it): a second fake on the file is refused.
            hold_state_file(state_file)
        except StateFileError as exc:
            raise click.ClickException(str(exc)) from None
    config = MockConfig(
        profile=None if profile_path is None else _load_profile(profile_path),
        upstream=_upstream(upstream),
        upstream_timeout=upstream_timeout,
        max_passing=max_upstream,
        watch=watch or record_path is not None,
        record=record_path,
        show_secrets=show_secrets,
        state_file=state_file,
        fsync=fsync,
        max_body_bytes=max_body_bytes,
        strict_conversations=strict_conversations,
        cors_origins=cors_origins,
        # The name it was told to listen on is its own; an unspecified address has none.
        allowed_hosts=(*allowed_hosts, *([] if host in ("0.0.0.0", "::") else [host])),
        seed=load_seed(seed_path, demo=not no_demo),
        journal_size=journal_size,
        max_sessions=max_sessions,
        max_memory=max_memory_mib * 1024 * 1024,
        max_waiting=max(1, threads - 2),  # two threads always free for the admin API
        max_uploads=max_uploads,
        max_working=threads,
    )
    options = ServerOptions(
        host=host,
        port=port,
        threads=threads,
        upload_threads=max_uploads,
        upstream_threads=0 if upstream is None else max_upstream,
        header_timeout=header_timeout,
        keep_alive=keep_alive,
        max_connections=max_connections,
    )
    try:
        server = ProductionServer(partial(create_app, config), options)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.run(on_ready=partial(_announce, server.url, host, config, profile_path))
    click.echo("mockserver: stopped")


def _announce(url: str, host: str, config: MockConfig, profile_path: Path | None) -> None:
    click.echo(f"mockserver: serving the fake at {url}")
    click.echo(f"  dashboard: {url}{schemas.operation('getDashboard').path}")
    body = '{"message": "hi"}'
    create = schemas.CREATE_MESSAGE
    click.echo(
        f"  try:     curl -X {create.method} {url}{create.url(conversation=1)}"
        f" -H 'Content-Type: application/json' -d '{body}'"
    )
    click.echo(f"  docs:    {url}{schemas.operation('getVendorDocument').path} (the vendor's contract)")
    click.echo(f"           {url}{schemas.operation('getFakeDocument').path} (the fake's own API)")
    click.echo(f"  journal: {url}{schemas.operation('getJournal').path}")
    state = f"kept in {config.state_file}" if config.state_file else "in memory (--state-file PATH keeps it)"
    click.echo(f"  state:   {state}{', each commit synced to disk' if config.fsync else ''}")
    if config.max_memory is not None:
        click.echo(f"  memory:  up to {config.max_memory // (1024 * 1024)} MiB, then writes are refused (--max-memory)")
    origins = ", ".join(config.cors_origins) + " (with credentials)" if config.cors_origins else None
    click.echo(f"  origins: {origins or 'any, on the vendor API; none on /__mock__/ (--cors-origin names some)'}")
    if profile_path is not None:
        click.echo(f"  profile: {profile_path} (answers as the real server it was written from)")
    if config.upstream is not None:
        secrets = "shown" if config.show_secrets else "redacted in the journal (--show-secrets shows them)"
        routes = "every route" if config.watch else "every route the kit does not declare"
        credentials = " (with the credentials its URL gives, sent as Basic)" if "@" in config.upstream else ""
        shown = schemas.without_userinfo(config.upstream)
        click.echo(f"  upstream: {shown}{credentials} answers {routes}; credentials {secrets}")
        if config.watch:
            click.echo(
                f"  watch:   each creation judged by the contract: {url}{schemas.operation('listViolations').path}"
            )
        if config.record is not None:
            click.echo(f"  record:  the real API's creations appended to {config.record} (a seed file: --seed)")
    if host not in LOOPBACK_HOSTS:
        click.echo(f"  warning: bound to {host}, not loopback: other machines can reach this fake", err=True)
    click.echo("  stop:    Ctrl-C")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a usage or domain error is one line on stderr and exit status 2."""
    try:
        cli.main(args=argv, prog_name="mockserver", standalone_mode=False)
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:
        click.echo(f"mockserver: error: {exc.format_message()}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
