"""Command-line entry points: ``flask --app app users create``, ``flask --app app seed-demo``."""

from __future__ import annotations

import subprocess

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import access
from extensions import db
from services.admin.accounts import AccountError, create_user, needs_valid_until

users = AppGroup("users", help="Manage personal accounts.")


@users.command("create")
@click.argument("name")
@click.option("--role", "role", required=True, type=click.Choice(access.ROLES))
@click.option("--password", default=None, help="Prompted for (hidden) when left out.")
@click.option("--full-name", default=None, help="Real name; defaults to NAME.")
@click.option(
    "--valid-until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last office day the account may sign in (YYYY-MM-DD); required for an auditor.",
)
def create_user_command(
    name: str, role: str, password: str | None, full_name: str | None, valid_until=None
):
    """Create the account NAME with ROLE."""
    if valid_until is None and needs_valid_until(role):
        raise click.ClickException("an auditor's account needs --valid-until YYYY-MM-DD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            db.session,
            username=name,
            full_name=full_name or name,
            role_code=role,
            password=password,
            valid_until=valid_until.date() if valid_until else None,
        )
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.username} ({role})")


@click.command("seed-demo")
@click.option("--prospects", "prospect_count", default=300, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def seed_demo_command(prospect_count: int, if_empty: bool):
    """Fill an empty database with a realistic demo office."""
    from demo.seed import DemoDataError, seed_demo

    try:
        result = seed_demo(
            db.session,
            prospect_count=prospect_count,
            accounts_file=current_app.instance_path + "/demo-accounts.txt",
            skip_if_not_empty=if_empty,
        )
    except DemoDataError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if result is None:
        click.echo("database already holds data; demo seeding skipped")
        return
    click.echo(result.describe())


audit_group = AppGroup("audit", help="The access log.")


@audit_group.command("verify")
def audit_verify_command():
    """Check the hash chain; report the first altered or missing event."""
    import time

    from services.privacy import audit

    started = time.perf_counter()
    result = audit.verify(db.session)
    elapsed = time.perf_counter() - started
    rate = result.checked / elapsed if elapsed else 0
    if result.ok:
        click.echo(f"ok: {result.checked} events verified in {elapsed:.2f}s ({rate:,.0f}/s)")
        return
    raise click.ClickException(
        f"{result.problem} at event {result.first_bad_seq} "
        f"({result.checked} events verified before it)"
    )


crypto_group = AppGroup("crypto", help="Encryption keys of the personal data.")


@crypto_group.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def crypto_rotate_command(batch_size: int):
    """Re-encrypt every value not under ENCRYPTION_CURRENT_KEY. Commits batch by batch, so
    an interrupted run is resumed by running it again."""
    from core import crypto
    from models.types import encrypted_columns
    from services.admin.key_rotation import rotate

    def progress(binding: str, done: int) -> None:
        click.echo(f"  {binding}: {done} re-encrypted so far")

    results = rotate(db.session, encrypted_columns(db.metadata), batch_size, progress=progress)
    total = sum(r.reencrypted for r in results.values())
    skipped = sum(r.skipped for r in results.values())
    for binding, result in results.items():
        if result.reencrypted or result.skipped:
            click.echo(f"{binding}: {result.reencrypted} re-encrypted, {result.skipped} skipped")
    click.echo(
        f"done: {total} values now under key {crypto.get_keyring().current_id!r}"
        + (f"; {skipped} changed meanwhile, run again to check them" if skipped else "")
    )


@crypto_group.command("retire-key")
@click.argument("key_id")
def crypto_retire_key_command(key_id: str):
    """Forget KEY_ID once no value is sealed with it; then remove it from ENCRYPTION_KEYS."""
    from core import crypto
    from models.types import encrypted_columns
    from services.admin.key_checks import retire_key

    try:
        left = retire_key(db.session, crypto.get_keyring(), key_id, encrypted_columns(db.metadata))
    except crypto.CryptoConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if left:
        raise click.ClickException(
            f"{left} values are still sealed with {key_id!r}: run 'crypto rotate' first"
        )
    click.echo(f"{key_id!r} retired: remove it from ENCRYPTION_KEYS and restart")


archive_group = AppGroup("archive", help="The paper archive desk.")


@archive_group.command("expire-unclaimed")
def archive_expire_unclaimed_command():
    """Expire approved lookups nobody collected in time (safe to run again; run it daily)."""
    from services.archive import archive_desk

    count = archive_desk.expire_unclaimed(db.session)
    db.session.commit()
    click.echo(f"{count} unclaimed lookup(s) expired")


ownership_group = AppGroup("ownership", help="Who owns the sales offices' customers.")


@ownership_group.command("release")
def ownership_release_command():
    """Release customers not worked for longer than the protection period to their office's
    public pool (safe to run again; run it daily)."""
    from core.clock import office_today
    from services.privacy import audit
    from services.sales import customer_pool

    today = office_today()
    count = customer_pool.release_stale(db.session, today)
    if count:
        audit.record(db.session, audit.SYSTEM, "update", record_type="prospect")
    db.session.commit()
    click.echo(f"{today.isoformat()}: {count} customer(s) released to the public pool")


imports_group = AppGroup("imports", help="Uploaded Excel files waiting to be imported.")


@imports_group.command("expire")
def imports_expire_command():
    """Delete uploads older than IMPORT_KEEP_HOURS (safe to run again; run it from cron)."""
    from flask import current_app

    from services.shared import import_store

    folder = import_store.upload_folder(current_app.config, current_app.instance_path)
    count = import_store.expire(folder, import_store.keep_hours(current_app.config))
    click.echo(f"{count} expired upload file(s) deleted")
    # The ended check and import jobs of those uploads (services/shared/import_jobs.py).
    from extensions import db
    from services.shared import import_jobs

    jobs = import_jobs.prune(db.session, import_store.keep_hours(current_app.config))
    db.session.commit()
    click.echo(f"{jobs} ended import job(s) deleted")


backup_group = AppGroup("backup", help="Encrypted backups of the database.")


@backup_group.command("create")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Backup file.")
def backup_create_command(out: str | None):
    """Back up the database, encrypted with the backup key."""
    from datetime import UTC, datetime
    from pathlib import Path

    from flask import current_app

    from services.admin import backup, backup_rotation

    try:
        key = backup.backup_key(current_app.config, current_app.instance_path)
    except backup.BackupError as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = backup_rotation.folder(current_app.config, current_app.instance_path)
    target = Path(out) if out else folder / f"panel-{stamp}.bak"
    try:
        backup.create(current_app.config["SQLALCHEMY_DATABASE_URI"], target, key)
    except (backup.BackupError, OSError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(f"backup failed: {type(exc).__name__}: {exc}") from exc
    click.echo(f"backup written: {target} ({target.stat().st_size:,} bytes, encrypted)")


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "into", required=True, help="Database URL of a new, empty database.")
def backup_restore_command(path: str, into: str):
    """Restore a backup into a new database, then check its access-log chain."""
    from pathlib import Path

    from flask import current_app
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from services.admin import backup
    from services.privacy import audit

    try:
        key = backup.backup_key(current_app.config, current_app.instance_path)
        backup.restore(Path(path), into, key)
    except (backup.BackupError, OSError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(f"restore failed: {type(exc).__name__}: {exc}") from exc
    engine = create_engine(into)
    try:
        with Session(engine) as session:
            result = audit.verify(session)
    finally:
        engine.dispose()
    if not result.ok:
        raise click.ClickException(
            f"restored, but the access log does not verify: {result.problem} "
            f"at event {result.first_bad_seq}"
        )
    click.echo(f"restored into {into}; access log verified ({result.checked} events)")


@backup_group.command("prune")
@click.option("--daily", type=click.IntRange(0, 366), default=None, help="Days kept (7).")
@click.option("--weekly", type=click.IntRange(0, 520), default=None, help="Weeks kept (4).")
@click.option("--monthly", type=click.IntRange(0, 1200), default=None, help="Months kept (12).")
def backup_prune_command(daily, weekly, monthly):
    """Delete the backups the rotation does not keep (BACKUP_KEEP_DAILY/WEEKLY/MONTHLY)."""
    from dataclasses import replace

    from core.clock import office_today
    from services.admin import backup_rotation

    policy = backup_rotation.Policy.from_config(current_app.config)
    given = {"daily": daily, "weekly": weekly, "monthly": monthly}
    policy = replace(policy, **{k: v for k, v in given.items() if v is not None})
    folder = backup_rotation.folder(current_app.config, current_app.instance_path)
    files = backup_rotation.backup_files(folder)
    keep = backup_rotation.to_keep([f.name for f in files], office_today(), policy)
    for path in files:
        if path.name in keep:
            click.echo(f"kept: {path.name}")
        else:
            path.unlink()
            click.echo(f"deleted: {path.name}")
    click.echo(f"{len(keep)} kept, {len(files) - len(keep)} deleted in {folder}")


@backup_group.command("daily")
@click.pass_context
def backup_daily_command(ctx):
    """The daily job: a new backup, then the rotation."""
    ctx.invoke(backup_create_command, out=None)
    ctx.invoke(backup_prune_command)


@backup_group.command("drill")
@click.option("--scratch", default=None, help="PostgreSQL scratch database name.")
def backup_drill_command(scratch: str | None):
    """Restore the newest backup into a scratch database, verify its access log, record the
    outcome for the admin's home page, and remove the scratch copy (the monthly job)."""
    from services.admin import backup, backup_drill, backup_rotation

    config = current_app.config
    try:
        key = backup.backup_key(config, current_app.instance_path)
    except backup.BackupError as exc:
        result = backup_drill.DrillResult(False, None, reason=str(exc))
    else:
        result = backup_drill.run(
            config["SQLALCHEMY_DATABASE_URI"],
            backup_rotation.folder(config, current_app.instance_path),
            key,
            scratch or config.get("BACKUP_DRILL_DATABASE") or backup_drill.DEFAULT_SCRATCH,
        )
    backup_drill.record(db.session, result)
    db.session.commit()
    if not result.ok:
        raise click.ClickException(f"restore drill failed: {result.summary}")
    click.echo(f"restore drill ok: {result.summary}; access log verified")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(backup_group)
    app.cli.add_command(archive_group)
    app.cli.add_command(imports_group)
    app.cli.add_command(ownership_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(crypto_group)
    from views.sales.sales import register_cli as register_sales_cli  # noqa: PLC0415

    register_sales_cli(app)
    from views.sales.daily import register_cli as register_daily_cli  # noqa: PLC0415

    register_daily_cli(app)
