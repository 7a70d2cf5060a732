#!/usr/bin/env bash
# check.sh - static check of compose/docker-compose.yml (Docker cannot run here).
#
#   compose/check.sh
#
# Parses the file with PyYAML from .local/venv (scripts/deps.sh creates it) and
# checks that it is consistent with itself and with the local stack:
#   - every service named in depends_on exists; every named volume is declared;
#     the build Dockerfile exists; the four service binaries all appear;
#   - each service gets MPC_KAFKA_BROKERS, MPC_PG_DSN, MPC_REDIS_URL and
#     MPC_HTTP_PORT, pointing at the same ports scripts/stack.sh uses;
#   - three participants with MPC_NODE_ID 1, 2, 3, each its own consumer group;
#   - containers bind HTTP to 0.0.0.0 and health-check their own port;
#   - the topics job creates exactly the topics scripts/kafka/kafka_admin.py does.
# Prints one line per problem and exits 1 if there is any.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${MPC_VENV:-$ROOT/.local/venv}/bin/python"

die() { printf 'compose/check: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the default of MPC_<name> in scripts/stack.sh (e.g. KAFKA_PORT -> 19092).
stack_default() {
  sed -n "s/^[A-Z_]*=\"\${MPC_$1:-\([^}]*\)}\"$/\1/p" "$ROOT/scripts/stack.sh" | head -n1
}

main() {
  [[ -x "$PYTHON" ]] || die "$PYTHON not found; run scripts/deps.sh"
  "$PYTHON" -c 'import yaml' 2>/dev/null || die "PyYAML missing in $PYTHON; run scripts/deps.sh"
  local kafka_port pg_port redis_port controller_port
  kafka_port="$(stack_default KAFKA_PORT)"
  controller_port="$(stack_default KAFKA_CONTROLLER_PORT)"
  pg_port="$(stack_default PG_PORT)"
  redis_port="$(stack_default REDIS_PORT)"
  [[ -n "$kafka_port" && -n "$controller_port" && -n "$pg_port" && -n "$redis_port" ]] ||
    die "could not read the default ports from scripts/stack.sh"
  KAFKA_PORT="$kafka_port" CONTROLLER_PORT="$controller_port" PG_PORT="$pg_port" \
    REDIS_PORT="$redis_port" ROOT="$ROOT" "$PYTHON" - <<'PY'
import os, re, sys
import yaml

root = os.environ["ROOT"]
compose_path = os.path.join(root, "compose", "docker-compose.yml")
problems = []

def problem(msg):
    problems.append(msg)

try:
    with open(compose_path) as f:
        doc = yaml.safe_load(f)
except yaml.YAMLError as e:
    print(f"compose/check: ERROR: {compose_path} does not parse: {e}", file=sys.stderr)
    sys.exit(1)

services = doc.get("services") or {}
volumes = set((doc.get("volumes") or {}).keys())
JOBS = {"keys": "mpc-keytool", "migrate": "mpc-migrate"}  # one-shot set-up containers
for name in ("kafka", "topics", "postgres", "redis", "keys", "migrate", "api", "coordinator", "auditor",
             "participant-1", "participant-2", "participant-3"):
    if name not in services:
        problem(f"service '{name}' is missing")

binaries = {"api": "mpc-api", "coordinator": "mpc-coordinator",
            "participant": "mpc-participant", "auditor": "mpc-auditor"}
kafka_port, pg_port = os.environ["KAFKA_PORT"], os.environ["PG_PORT"]
redis_port, controller_port = os.environ["REDIS_PORT"], os.environ["CONTROLLER_PORT"]
seen_binaries, node_ids, groups = set(), [], set()

for name, svc in services.items():
    deps = svc.get("depends_on") or {}
    for dep in (deps if isinstance(deps, (list, dict)) else []):
        if dep not in services:
            problem(f"{name}: depends_on unknown service '{dep}'")
    for vol in svc.get("volumes") or []:
        src = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
        if src.startswith((".", "/")):
            if not os.path.exists(os.path.join(root, "compose", src)):
                problem(f"{name}: bind-mounted file {src} does not exist")
        elif src not in volumes:
            problem(f"{name}: volume '{src}' is not declared under volumes:")
    build = svc.get("build")
    if build:
        ctx = os.path.normpath(os.path.join(root, "compose", build.get("context", ".")))
        dockerfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
        if not os.path.isfile(dockerfile):
            problem(f"{name}: Dockerfile {dockerfile} does not exist")
    cmd = svc.get("command") or []
    if name in JOBS:
        if not cmd or cmd[0] != JOBS[name]:
            problem(f"{name}: should run {JOBS[name]}")
        continue
    if build:
        if len(cmd) != 3 or cmd[1] != "-c":
            problem(f"{name}: command should be ['<binary>', '-c', '/etc/mpc/<service>.cfg']")
            continue
        binary, cfg = cmd[0], cmd[2]
        service = binary.removeprefix("mpc-")
        if binaries.get(service) != binary:
            problem(f"{name}: unknown service binary '{binary}'")
        seen_binaries.add(binary)
        if cfg != f"/etc/mpc/{service}.cfg":
            problem(f"{name}: config file {cfg}, expected /etc/mpc/{service}.cfg")
        elif not os.path.isfile(os.path.join(root, "config", f"{service}.cfg")):
            print(f"compose/check: note: config/{service}.cfg is not in the repository yet "
                  f"(the image copies config/ to /etc/mpc/)")
        env = svc.get("environment") or {}
        for var in ("MPC_KAFKA_BROKERS", "MPC_PG_DSN", "MPC_REDIS_URL", "MPC_HTTP_PORT"):
            if var not in env:
                problem(f"{name}: environment lacks {var}")
        if env.get("MPC_KAFKA_BROKERS") != f"kafka:{kafka_port}":
            problem(f"{name}: MPC_KAFKA_BROKERS should be kafka:{kafka_port}")
        if not re.search(rf"@postgres:{pg_port}/", str(env.get("MPC_PG_DSN", ""))):
            problem(f"{name}: MPC_PG_DSN should point at postgres:{pg_port}")
        if not re.search(rf"@redis:{redis_port}/", str(env.get("MPC_REDIS_URL", ""))):
            problem(f"{name}: MPC_REDIS_URL should point at redis:{redis_port}")
        if env.get("MPC_HTTP_BIND") != "0.0.0.0":
            problem(f"{name}: MPC_HTTP_BIND should be 0.0.0.0 inside a container")
        hc = " ".join(str(t) for t in (svc.get("healthcheck") or {}).get("test", []))
        if f":{env.get('MPC_HTTP_PORT')}/health/ready" not in hc:
            problem(f"{name}: healthcheck should probe MPC_HTTP_PORT /health/ready")
        if service == "participant":
            node_ids.append(str(env.get("MPC_NODE_ID")))
            group = env.get("MPC_KAFKA_GROUP_ID")
            if group in groups:
                problem(f"{name}: MPC_KAFKA_GROUP_ID {group} shared with another participant")
            groups.add(group)
            if not any(str(v).endswith(":/var/lib/mpc") for v in svc.get("volumes") or []):
                problem(f"{name}: participant needs its own share volume at /var/lib/mpc")

for b in binaries.values():
    if b not in seen_binaries:
        problem(f"no service runs {b}")
if sorted(node_ids) != ["1", "2", "3"]:
    problem(f"participants have MPC_NODE_ID {sorted(node_ids)}, expected 1, 2, 3")

dockerfile_text = open(os.path.join(root, "compose", "Dockerfile")).read()
for b in binaries.values():
    if b not in dockerfile_text:
        problem(f"compose/Dockerfile does not install {b}")

kafka_env = (services.get("kafka") or {}).get("environment") or {}
if f"PLAINTEXT://:{kafka_port}" not in str(kafka_env.get("KAFKA_LISTENERS", "")):
    problem(f"kafka: KAFKA_LISTENERS should listen on {kafka_port} like the local stack")
if f"@kafka:{controller_port}" not in str(kafka_env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")):
    problem(f"kafka: controller should listen on {controller_port} like the local stack")
if str((services.get("postgres") or {}).get("environment", {}).get("PGPORT")) != pg_port:
    problem(f"postgres: PGPORT should be {pg_port} like the local stack")
if redis_port not in [str(a) for a in (services.get("redis") or {}).get("command", [])]:
    problem(f"redis: should listen on {redis_port} like the local stack")

admin_py = open(os.path.join(root, "scripts", "kafka", "kafka_admin.py")).read()
want_topics = set(re.findall(r'^\s+"(mpc\.[a-z.]+)":', admin_py, re.M))
topics_cmd = " ".join(str(c) for c in (services.get("topics") or {}).get("command", []))
got_topics = set(re.findall(r"\bmpc\.[a-z]+(?:\.[a-z]+)*\b", topics_cmd))
if not want_topics:
    problem("could not read the topic list from scripts/kafka/kafka_admin.py")
elif want_topics != got_topics:
    problem(f"topics job creates {sorted(got_topics)}, local stack creates {sorted(want_topics)}")

for p in problems:
    print(f"compose/check: ERROR: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"compose/check: ok ({len(services)} services, {len(volumes)} volumes, "
      f"{len(want_topics)} topics, ports {kafka_port}/{pg_port}/{redis_port})")
PY
}

main "$@"
