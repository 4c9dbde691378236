"""`tracker audit verify`: the audit trail checked from the console."""

import typer

from tracker.cli.console import console

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every entry's HMAC and its link to the one before; exit 1 naming each broken one."""
    from tracker.services.audit import newest_entry, verify_chain
    from tracker.store.engine import session_scope

    with session_scope(write=False) as session:
        problems = verify_chain(session)
        count, head_hmac = newest_entry(session)
    if problems:
        for entry_id, problem in problems:
            typer.echo(f"audit entry {entry_id}: {problem}")
        console.print(f"[red]audit trail broken:[/red] {len(problems)} problem(s)")
        raise typer.Exit(1)
    # The newest HMAC, noted somewhere else now and then, also shows entries cut off the end.
    typer.echo(f"OK: {count} audit entries verified; newest #{count} {head_hmac}")
