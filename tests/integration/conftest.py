"""Fixtures for integration tests against the real local stack.

`./dev test` starts Kafka, PostgreSQL and Redis (scripts/stack.sh) and exports
their settings (MPC_KAFKA_BROKERS, MPC_PG_DSN, MPC_REDIS_URL) and the build
directory (MPC_BUILD_DIR) before running pytest. A missing setting is an
error, not a skip: these tests must run for the suite to pass.
"""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the integration tests through ./dev test", pytrace=False)
    return value


@pytest.fixture(scope="session")
def build_dir():
    return required_env("MPC_BUILD_DIR")


@pytest.fixture(scope="session")
def stack_env():
    return {name: required_env(name) for name in ("MPC_KAFKA_BROKERS", "MPC_PG_DSN", "MPC_REDIS_URL")}


@pytest.fixture(scope="session")
def migrated(build_dir, stack_env):
    out = subprocess.run([f"{build_dir}/tools/mpc-migrate"], env={**os.environ, **stack_env},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="session")
def node_keys(build_dir, tmp_path_factory):
    """Identity keys, master keys and a roster for nodes 0..3 (mpc-keytool)."""
    keys = str(tmp_path_factory.mktemp("keys"))
    out = subprocess.run([f"{build_dir}/lib/secure/mpc-keytool", "init-stack", "--dir", keys, "--participants", "3"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return keys


def node_env(name, keys, workdir, node_id=1):
    """Environment that gives a coordinator or participant its keys and stores."""
    if name == "coordinator":
        return {"MPC_IDENTITY_KEY_FILE": f"{keys}/node-0/identity.key", "MPC_ROSTER_FILE": f"{keys}/roster.json"}
    if name == "participant":
        node_dir = os.path.join(workdir, f"node-{node_id}")
        os.makedirs(node_dir, mode=0o700, exist_ok=True)
        return {"MPC_NODE_ID": str(node_id), "MPC_IDENTITY_KEY_FILE": f"{keys}/node-{node_id}/identity.key",
                "MPC_MASTER_KEY_FILE": f"{keys}/node-{node_id}/master.key", "MPC_ROSTER_FILE": f"{keys}/roster.json",
                "MPC_SHARE_DIR": f"{node_dir}/shares", "MPC_LEDGER_FILE": f"{node_dir}/nonce.ledger"}
    return {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """Returns (status, body text); never raises for HTTP error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Service:
    """One service process started for a test, with its stderr captured."""

    def __init__(self, build_dir, name, env, args=()):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join("/tmp", f"mpc-it-{name}-{self.port}.log")
        self.log = open(self.log_path, "w+")
        full_env = {**os.environ, **env, "MPC_HTTP_PORT": str(self.port),
                    "MPC_KAFKA_GROUP_ID": f"it-{name}-{self.port}"}
        self.proc = subprocess.Popen([f"{build_dir}/services/{name}/mpc-{name}", *args],
                                     env=full_env, stdout=subprocess.PIPE, stderr=self.log, text=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_http(self, path, want_status, timeout=30, contains=None):
        """Polls until path answers want_status (and its body contains
        `contains`, when given); returns (status, body)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.stderr()}")
            try:
                last = http_get(self.url(path), timeout=2)
                if last[0] == want_status and (contains is None or contains in last[1]):
                    return last
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} {path}: wanted {want_status}, last {last}\n{self.stderr()}")

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def log_lines(self):
        return [json.loads(line) for line in self.stderr().splitlines() if line.startswith("{")]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not stop within {timeout}s of {sig}")
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def start_service(build_dir):
    started = []

    def start(name, env=None, args=()):
        svc = Service(build_dir, name, env or {}, args)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        if svc.proc.poll() is None:
            svc.proc.kill()
            svc.proc.wait()
