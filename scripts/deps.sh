#!/usr/bin/env bash
# deps.sh - install everything this project needs on a fresh Debian 12 machine.
#
#   scripts/deps.sh
#
# Idempotent; each step is skipped when its result is already in place:
#   1. apt packages (C toolchain and -dev libraries, PostgreSQL, Redis, Java 17,
#      Maven, Python). `apt-get update` runs only when something is missing.
#   2. a Python virtualenv in .local/venv with tests/requirements.txt.
#   3. the Apache Kafka broker and tools jars (version pinned in
#      scripts/kafka/pom.xml) copied from Maven Central into .local/kafka-libs.
# Needs root, or sudo. Environment: MPC_VENV (default .local/venv),
# MPC_KAFKA_LIBS (default .local/kafka-libs), MPC_PYTHON (interpreter to build
# the venv with; default: python3 on PATH).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MPC_VENV:-$ROOT/.local/venv}"
KAFKA_LIBS="${MPC_KAFKA_LIBS:-$ROOT/.local/kafka-libs}"
KAFKA_POM="$ROOT/scripts/kafka/pom.xml"
REQUIREMENTS="$ROOT/tests/requirements.txt"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsecp256k1-dev libssl-dev librdkafka-dev libpq-dev libhiredis-dev
  libavro-dev libmicrohttpd-dev libconfig-dev libjansson-dev nettle-dev
  postgresql redis-server
  openjdk-17-jre-headless maven
  curl python3 python3-venv
)

log() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the command prefix that gives root ("" when already root).
root_prefix() {
  if [[ $EUID -eq 0 ]]; then
    echo ""
  elif command -v sudo >/dev/null 2>&1; then
    echo "sudo"
  else
    die "installing packages needs root; run as root or install sudo"
  fi
}

# Prints the apt packages from APT_PACKAGES that are not installed.
missing_apt_packages() {
  local pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == ii* ]] || echo "$pkg"
  done
}

# Installs the missing apt packages. Server packages are installed without
# starting their system services (we run our own instances on other ports).
install_apt_packages() {
  local missing sudo_cmd policy_added=0
  mapfile -t missing < <(missing_apt_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "apt: all ${#APT_PACKAGES[@]} packages already installed"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian 12 only"
  sudo_cmd="$(root_prefix)"
  log "apt: installing ${missing[*]}"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    # Keep the distribution's default PostgreSQL/Redis services from starting.
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d >/dev/null
    $sudo_cmd chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  local rc=0
  {
    $sudo_cmd apt-get update -qq &&
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  } || rc=$?
  if [[ $policy_added -eq 1 ]]; then
    $sudo_cmd rm -f /usr/sbin/policy-rc.d
  fi
  [[ $rc -eq 0 ]] || die "apt-get failed (exit $rc) installing: ${missing[*]}"
  mapfile -t missing < <(missing_apt_packages)
  [[ ${#missing[@]} -eq 0 ]] || die "still missing after apt-get install: ${missing[*]}"
  log "apt: done"
}

# Prints a Python 3 interpreter that can create virtualenvs (with pip).
pick_python() {
  local candidate
  for candidate in "${MPC_PYTHON:-}" "$(command -v python3 || true)" /usr/bin/python3; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    if "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  die "no python3 with the venv and ensurepip modules found (apt-get install python3-venv)"
}

# Fingerprint of what the venv should contain: requirements and interpreter.
venv_stamp() {
  { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } 2>/dev/null
}

# Creates .local/venv and installs tests/requirements.txt into it.
setup_venv() {
  [[ -f "$REQUIREMENTS" ]] || die "missing $REQUIREMENTS"
  if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1 &&
     [[ -f "$VENV/.mpc-stamp" && "$(cat "$VENV/.mpc-stamp")" == "$(venv_stamp)" ]]; then
    log "venv: $VENV up to date"
    return 0
  fi
  local python
  python="$(pick_python)"
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "venv: creating $VENV with $python ($("$python" --version 2>&1))"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$python" -m venv "$VENV" || die "could not create virtualenv $VENV with $python"
  fi
  log "venv: installing $(grep -cvE '^\s*(#|$)' "$REQUIREMENTS") packages from tests/requirements.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS" ||
    die "pip install -r $REQUIREMENTS failed (is PyPI reachable?)"
  "$VENV/bin/python" -c 'import confluent_kafka, fastavro, yaml, pytest' ||
    die "venv $VENV is missing modules after pip install"
  venv_stamp >"$VENV/.mpc-stamp"
  log "venv: done"
}

# Prints the Kafka version pinned in scripts/kafka/pom.xml.
pinned_kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n1
}

# Copies the Kafka runtime classpath from Maven Central into .local/kafka-libs.
# Skipped when the jars were resolved from the same pom.xml.
resolve_kafka_jars() {
  local version stamp tmp
  [[ -f "$KAFKA_POM" ]] || die "missing $KAFKA_POM"
  version="$(pinned_kafka_version)"
  [[ -n "$version" ]] || die "no <kafka.version> in $KAFKA_POM"
  stamp="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -f "$KAFKA_LIBS/.mpc-stamp" && "$(cat "$KAFKA_LIBS/.mpc-stamp")" == "$stamp" &&
        -f "$KAFKA_LIBS/kafka_2.13-$version.jar" ]]; then
    log "kafka: $version jars already in $KAFKA_LIBS"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven)"
  command -v java >/dev/null 2>&1 || die "java not found (apt-get install openjdk-17-jre-headless)"
  log "kafka: resolving Apache Kafka $version jars from Maven Central"
  tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Maven's output goes to a log shown only on failure (mvn -q still prints
  # terminal escape codes).
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
       -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    sed 's/^/    /' "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "mvn could not resolve Kafka $version (is Maven Central reachable? output above)"
  fi
  rm -f "$tmp.log"
  [[ -f "$tmp/kafka_2.13-$version.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$version.jar missing after mvn"; }
  echo "$stamp" >"$tmp/.mpc-stamp"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

main() {
  [[ $# -eq 0 ]] || die "usage: scripts/deps.sh (no arguments)"
  install_apt_packages
  setup_venv
  resolve_kafka_jars
  log "all dependencies in place"
}

main "$@"
