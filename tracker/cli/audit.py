"""`tracker audit verify` and `tracker audit checkpoint`: the audit trail from the console."""

import typer

from tracker.cli.console import console

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every entry's HMAC, its link to the one before and the trail's head against the
    newest checkpoint; exit 1 naming each problem."""
    from tracker.services import audit_checkpoint
    from tracker.services.audit import HMAC_MISMATCH, newest_entry, verify_chain
    from tracker.settings import PLACEHOLDER_SECRET, get_settings
    from tracker.store.engine import session_scope

    settings = get_settings()
    lines: list[str] = []
    checkpoint = None
    try:
        checkpoint = audit_checkpoint.latest(settings)
    except audit_checkpoint.CheckpointFileError as exc:
        lines.append(f"checkpoint: {exc}")
    with session_scope(write=False) as session:
        problems = verify_chain(session)
        lines += [f"audit entry {entry_id}: {problem}" for entry_id, problem in problems]
        if checkpoint is not None:
            lines += [f"checkpoint: {gap}" for gap in audit_checkpoint.compare(session, checkpoint)]
        count, head_hmac = newest_entry(session)
    if lines:
        for line in lines:
            typer.echo(line)
        if count and sum(HMAC_MISMATCH in problem for _, problem in problems) == count:
            # Every entry failing alike is a key not the one the trail was written with (a
            # backup checked without its .env, say) far more often than every entry forged.
            placeholder = settings.secret_key == PLACEHOLDER_SECRET
            typer.echo(
                "no entry matches its HMAC: check that TRACKER_SECRET_KEY is the key the trail "
                "was written with"
                + (" (it is the placeholder: no key was configured)" if placeholder else "")
            )
        console.print(f"[red]audit trail broken:[/red] {len(lines)} problem(s)")
        raise typer.Exit(1)
    typer.echo(f"OK: {count} audit entries verified; newest #{count} {head_hmac}")
    if checkpoint is None:
        typer.echo(
            f"no checkpoint in {settings.checkpoint_path}: entries cut off the end would not "
            "show (run `tracker audit checkpoint`)"
        )
    else:
        typer.echo(
            f"the trail matches the checkpoint of {checkpoint.at} ({checkpoint.count} entries)"
        )


@audit_app.command("checkpoint")
def audit_checkpoint_command() -> None:
    """Append a signed checkpoint of the trail's head to TRACKER_AUDIT_CHECKPOINT_FILE."""
    from tracker.services import audit_checkpoint
    from tracker.settings import get_settings
    from tracker.store.engine import session_scope

    settings = get_settings()
    with session_scope(write=False) as session:
        checkpoint = audit_checkpoint.write(session, settings)
    typer.echo(
        f"checkpoint of {checkpoint.at}: {checkpoint.count} entries, newest "
        f"{checkpoint.hmac[:12]}, appended to {settings.checkpoint_path}"
    )
