"""Migrations are applied idempotently and recorded; audit_log is append-only."""
import glob
import os
import subprocess

from conftest import ROOT


def psql(dsn, sql):
    return subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
                          capture_output=True, text=True, timeout=30)


def test_migrate_is_idempotent_and_recorded(build_dir, stack_env, migrated):
    again = subprocess.run([f"{build_dir}/tools/mpc-migrate"], env={**os.environ, **stack_env},
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "(0 applied now)" in again.stdout
    files = sorted(glob.glob(f"{ROOT}/sql/V*__*.sql"))
    rows = psql(stack_env["MPC_PG_DSN"], "SELECT count(*) FROM schema_migrations")
    assert rows.returncode == 0, rows.stderr
    assert int(rows.stdout.strip()) == len(files)
    status = subprocess.run([f"{build_dir}/tools/mpc-migrate", "--status"], env={**os.environ, **stack_env},
                            capture_output=True, text=True, timeout=60)
    assert status.stdout.count("applied ") == len(files) and "pending" not in status.stdout


def test_changed_migration_is_refused(build_dir, stack_env, migrated, tmp_path):
    for f in glob.glob(f"{ROOT}/sql/V*.sql"):
        text = open(f).read()
        if "V001" in f:
            text += "\n-- edited after it was applied\n"
        (tmp_path / os.path.basename(f)).write_text(text)
    out = subprocess.run([f"{build_dir}/tools/mpc-migrate", "--dir", str(tmp_path)],
                         env={**os.environ, **stack_env}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "was changed after it was applied" in out.stderr


def test_audit_log_refuses_update_delete_truncate(stack_env, migrated):
    """The application role may not change audit rows. Privileges are checked
    before any row is touched, so no row has to exist (and no fake row is
    written into the real chain)."""
    dsn = stack_env["MPC_PG_DSN"]
    for sql in ("UPDATE audit_log SET result = 'forged' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1",
                "TRUNCATE audit_log"):
        out = psql(dsn, sql)
        assert out.returncode != 0, sql
        assert "permission denied" in out.stderr, out.stderr
    ok = psql(dsn, "SELECT count(*) FROM audit_log")
    assert ok.returncode == 0, ok.stderr
