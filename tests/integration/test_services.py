"""The four service shells against the real stack: readiness, metrics,
clean shutdown, and one-line errors for each kind of misconfiguration."""
import os
import re
import signal
import subprocess

import pytest

from conftest import ROOT, http_get, node_env

SERVICES = ["api", "coordinator", "participant", "auditor"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_ready_metrics_and_clean_sigterm(start_service, stack_env, migrated, node_keys, tmp_path, name):
    env = {**stack_env, **node_env(name, node_keys, str(tmp_path))}
    svc = start_service(name, env, ["-c", f"{ROOT}/config/{name}.cfg"])
    status, body = svc.wait_http("/health/ready", 200)
    assert '"status":"ready"' in body
    for dep in ("kafka", "postgres", "redis"):
        assert f'"{dep}":{{"status":"ok"}}' in body

    status, body = http_get(svc.url("/health/live"))
    assert status == 200 and '"live"' in body

    status, metrics = http_get(svc.url("/metrics"))
    assert status == 200
    assert "# TYPE mpc_ready gauge" in metrics
    assert re.search(r"^mpc_ready 1$", metrics, re.M), metrics
    assert re.search(r'^mpc_dependency_up\{dependency="kafka"\} 1$', metrics, re.M)

    assert http_get(svc.url("/no/such/path"))[0] == 404

    assert svc.stop(signal.SIGTERM) == 0
    lines = svc.log_lines()
    assert lines, "no JSON log lines"
    assert all({"ts", "level", "service", "msg"} <= set(line) for line in lines)
    assert lines[-1]["msg"] == "stopped"


def run_service(build_dir, name, args, env=None, timeout=30):
    return subprocess.run([f"{build_dir}/services/{name}/mpc-{name}", *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("content,expected", [
    ('kafka = { brokers = "127.0.0.1:1"\n', r"bad\.cfg:2: syntax error"),
    ('kafka = { brokerz = "x"; };\n', r"bad\.cfg:1: unknown setting 'kafka\.brokerz'"),
    ('http = { port = 99999; };\n', r"bad\.cfg:1: 'http\.port' = 99999 is out of range \[0, 65535\]"),
    ('http = { port = "80"; };\n', r"bad\.cfg:1: 'http\.port' must be an integer"),
])
def test_malformed_config_gives_one_line_error(build_dir, tmp_path, content, expected):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(content)
    for name in SERVICES:
        out = run_service(build_dir, name, ["-c", str(cfg)])
        assert out.returncode == 78, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr
        assert re.search(expected, lines[0]), lines[0]


def test_bad_environment_value_names_the_variable(build_dir):
    out = run_service(build_dir, "coordinator", [], {"MPC_KAFKA_LINGER_MS": "soon"})
    assert out.returncode == 78
    assert "MPC_KAFKA_LINGER_MS" in out.stderr and "expected an integer" in out.stderr


def test_unreachable_broker_keeps_running_not_ready(start_service, stack_env, node_keys, tmp_path):
    env = {**stack_env, **node_env("coordinator", node_keys, str(tmp_path)), "MPC_KAFKA_BROKERS": "127.0.0.1:1"}
    svc = start_service("coordinator", env)
    status, body = svc.wait_http("/health/ready", 503, contains="cannot reach Kafka")
    assert "cannot reach Kafka" in body and "kafka.brokers" in body
    assert http_get(svc.url("/health/live"))[0] == 200
    assert svc.stop() == 0
    errors = [l for l in svc.log_lines() if l["level"] == "error"]
    assert any("cannot reach Kafka" in l["msg"] for l in errors), errors


def test_preflight_reports_each_dependency(build_dir, stack_env):
    ok = run_service(build_dir, "api", ["--preflight"], stack_env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"^kafka\s+ok$", ok.stdout, re.M)
    bad = run_service(build_dir, "api", ["--preflight"], {**stack_env, "MPC_KAFKA_BROKERS": "127.0.0.1:1"})
    assert bad.returncode == 1
    assert re.search(r"^kafka\s+FAILED: cannot reach Kafka.*MPC_KAFKA_BROKERS", bad.stdout, re.M)
    assert re.search(r"^postgres\s+ok$", bad.stdout, re.M)


def with_password(dsn, password):
    return re.sub(r"//([^:/@]+):[^@]*@", rf"//\1:{password}@", dsn)


@pytest.mark.parametrize("name", SERVICES)
def test_wrong_database_password_exits_with_clear_error(build_dir, stack_env, node_keys, tmp_path, name):
    wrong = "definitely-wrong-pw"
    env = {**stack_env, **node_env(name, node_keys, str(tmp_path)),
           "MPC_PG_DSN": with_password(stack_env["MPC_PG_DSN"], wrong), "MPC_HTTP_PORT": "0"}
    out = run_service(build_dir, name, [], env, timeout=60)
    assert out.returncode == 78, out.stderr[-2000:]
    assert "password authentication failed" in out.stderr
    assert "fix postgres.dsn / MPC_PG_DSN" in out.stderr
    assert wrong not in out.stderr, "the password leaked into the logs"


def test_wrong_redis_password_exits_with_clear_error(build_dir, stack_env):
    wrong = "wrong-redis-pw"
    url = re.sub(r"//([^:@/]*):[^@]*@", rf"//\1:{wrong}@", stack_env["MPC_REDIS_URL"])
    assert wrong in url, "expected a password in MPC_REDIS_URL"
    out = run_service(build_dir, "api", [], {**stack_env, "MPC_REDIS_URL": url, "MPC_HTTP_PORT": "0"},
                      timeout=60)
    assert out.returncode == 78, out.stderr[-2000:]
    assert "redis.url / MPC_REDIS_URL" in out.stderr
    assert wrong not in out.stderr
