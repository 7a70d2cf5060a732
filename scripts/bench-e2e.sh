#!/usr/bin/env bash
# bench-e2e.sh - end-to-end benchmarks of the running system, driven like an
# exchange on Kafka (bench/e2e_load.c): signed SignRequest / KeygenRequest
# records in, verified Results out. Needs the stack and services of
# `./dev up` (3-of-5 runs: `MPC_PARTICIPANTS=5 ./dev up`). docs/benchmarks.md
# says what each run measures and which service settings it expects.
#
# Usage: scripts/bench-e2e.sh BUILD_DIR [DURATION_S] [--only WHAT[,WHAT...]]
#   BUILD_DIR   a Release build with the e2e_load target (./dev bench builds it)
#   DURATION_S  seconds of each fixed-rate / closed-loop run (default 30)
#   --only      frost | gg (= keygen,gg18,gg20) | keygen | gg18 | gg20, and/or
#               a size 2of3 | 3of5 (GG only; FROST runs are 2-of-3).
#               Default: everything (3-of-5 only when 5 participants run).
#
# Runs, each printing one JSON object (also kept in .local/bench/):
#   FROST 2-of-3 (each with a fresh key made by distributed key generation):
#     1. BIP-340, one signature per request at 100 requests/s
#     2. BIP-340, batches of 500, 4 batches in flight (20,000 signatures)
#     3. RFC 9591, one signature per request at 100 requests/s
#   GG, for 2-of-3 and 3-of-5:
#     4. keygen, warm Paillier pool: BENCH_KEYGENS keygens one after the other,
#        each started once every node has a pre-generated key (the
#        participants' own background generation)
#     5. keygen, cold Paillier pool: the nodes' ready keys are moved aside
#        before each keygen (and put back after the run), so every node
#        generates its safe primes inline
#     6. GG18 signing, 1 request/s
#     7. GG20 online signing from a warm presignature pool, 2 requests/s: the
#        pool is filled to presign.pool_size first, and the run uses
#        pool_size - low_water presignatures, so no refill runs meanwhile
#     8. GG20 sustained, presigning included: a fresh key (empty pool), then
#        BENCH_GG20_CLOSED requests outstanding at all times (closed loop)
#        for DURATION_S; signatures made from pooled presignatures and inline
#        ones are counted and timed separately
#     9. GG20 open loop at each rate of BENCH_GG20_RATES on that key
#
# Environment (defaults match ./dev up):
#   MPC_COORDINATOR_METRICS_URL  http://127.0.0.1:18081/metrics
#   MPC_PARTICIPANT_PORT_BASE    18090 (participant i's HTTP port is base+i)
#   BENCH_KEYGENS (3), BENCH_GG20_CLOSED (4), BENCH_GG20_RATES ("5 20")
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { echo "usage: scripts/bench-e2e.sh BUILD_DIR [DURATION_S] [--only frost|gg|keygen|gg18|gg20|2of3|3of5]" >&2; exit 2; }
[ $# -ge 1 ] || usage
BUILD=$1
shift
DURATION=30
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then DURATION=$1; shift; fi
ONLY=""
while [ $# -gt 0 ]; do
    case $1 in
        --only) [ $# -ge 2 ] || usage; ONLY="$ONLY,$2"; shift 2 ;;
        --only=*) ONLY="$ONLY,${1#--only=}"; shift ;;
        *) usage ;;
    esac
done
for w in ${ONLY//,/ }; do
    case $w in frost | keygen | gg18 | gg20 | 2of3 | 3of5) ;; gg) ONLY="$ONLY,keygen,gg18,gg20" ;; *) usage ;; esac
done

LOAD="$BUILD/bench/e2e_load"
SECRET_FILE="$ROOT/.local/dev-api-secret"
[ -x "$LOAD" ] || { echo "bench-e2e: $LOAD not built" >&2; exit 1; }
[ -s "$SECRET_FILE" ] || { echo "bench-e2e: no development API key; run ./dev up first" >&2; exit 1; }
eval "$("$ROOT/scripts/stack.sh" env)"
COORD_METRICS=${MPC_COORDINATOR_METRICS_URL:-http://127.0.0.1:18081/metrics}
PBASE=${MPC_PARTICIPANT_PORT_BASE:-18090}
KEYGENS=${BENCH_KEYGENS:-3}
CLOSED=${BENCH_GG20_CLOSED:-4}
RATES=${BENCH_GG20_RATES:-5 20}
PY=python3
[ -x "$ROOT/.local/venv/bin/python" ] && PY="$ROOT/.local/venv/bin/python"

out_dir="$ROOT/.local/bench"
mkdir -p "$out_dir"
out="$out_dir/e2e-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
common=(--brokers "$MPC_KAFKA_BROKERS" --api-key-id dev --api-secret "$(cat "$SECRET_FILE")")
status=0

# selected <kind> <size>: whether --only lets this run through.
selected() {
    local kinds sizes
    kinds=$(tr ',' '\n' <<<"$ONLY" | grep -E '^(frost|keygen|gg18|gg20)$' || true)
    sizes=$(tr ',' '\n' <<<"$ONLY" | grep -E '^(2of3|3of5)$' || true)
    { [ -z "$kinds" ] || grep -qx "$1" <<<"$kinds"; } && { [ -z "$sizes" ] || grep -qx "$2" <<<"$sizes"; }
}

run() {
    local line rc=0
    line=$("$LOAD" "${common[@]}" "$@") || rc=$?
    [ -n "$line" ] && printf '%s\n' "$line" | tee -a "$out"
    if [ $rc -ne 0 ]; then
        echo "bench-e2e: run failed (exit $rc): ${*: -1}" >&2
        status=1
    fi
    LAST=$line
}

# json_field <json> <name>: one top-level string field.
json_field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# metric <url> <name>: the sum of a metric's samples (empty when unreachable).
metric() {
    curl -fsS --max-time 5 "$1" 2>/dev/null | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF; f = 1 }
        END { if (f) print s + 0 }'
}

# wait_quiet: waits (up to 10 minutes) until the coordinator runs no presign
# session, so that refilling one key's pool does not slow the next run down.
wait_quiet() {
    local quiet=0 t0=$SECONDS
    while [ $((SECONDS - t0)) -lt 600 ]; do
        local running
        running=$(metric "$COORD_METRICS" mpc_presign_sessions_running)
        [ -z "$running" ] && return 0
        if [ "${running%.*}" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
        [ $quiet -ge 3 ] && return 0
        sleep 1
    done
    echo "bench-e2e: presign sessions still running after 10 minutes; going on" >&2
}

# How many participants answer /health/ready (1, 2, ... without a gap).
live_participants() {
    local i=1
    while [ $i -le 9 ] && curl -fsS --max-time 2 "http://127.0.0.1:$((PBASE + i))/health/ready" >/dev/null 2>&1; do
        i=$((i + 1))
    done
    echo $((i - 1))
}

# ---- Paillier pool: moving ready keys aside for the cold keygens ---------
ASIDE="$ROOT/.local/bench/paillier-aside"
pool_dir() { echo "$ROOT/.local/nodes/node-$1/paillier"; }
restore_pools() {
    local d i
    for d in "$ASIDE"/node-*; do
        [ -d "$d" ] || continue
        i=${d##*/node-}
        find "$d" -maxdepth 1 -name 'pp-*.seal' -exec mv -n {} "$(pool_dir "$i")/" \;
        rmdir "$d" 2>/dev/null || true
    done
}
trap restore_pools EXIT

# ---- FROST ----------------------------------------------------------------
if selected frost 2of3; then
    run --keygen frost-bip340:2:3 --rate 100 --duration "$DURATION" --label "frost-bip340 2-of-3, 100 req/s"
    run --keygen frost-bip340:2:3 --batch-size 500 --batches 40 --inflight 4 --label "frost-bip340 2-of-3, batches of 500"
    run --keygen frost:2:3 --rate 100 --duration "$DURATION" --label "frost 2-of-3, 100 req/s"
fi

# ---- GG18 / GG20 ------------------------------------------------------------
nlive=$(live_participants)
pool_size=$(metric "$COORD_METRICS" mpc_presign_pool_size)
low_water=$(metric "$COORD_METRICS" mpc_presign_pool_low_water)
gg=(--coordinator-metrics "$COORD_METRICS" --pg-dsn "$MPC_PG_DSN" --drain 120)

for size in 2:3 3:5; do
    t=${size%:*} n=${size#*:} tag="${size%:*}of${size#*:}" name="${size%:*}-of-${size#*:}"
    selected keygen "$tag" || selected gg18 "$tag" || selected gg20 "$tag" || continue
    if [ "$nlive" -lt "$n" ]; then
        echo "bench-e2e: $name GG runs skipped: $nlive participants answer on ports $((PBASE + 1))..; start the stack with MPC_PARTICIPANTS=$n ./dev up" >&2
        continue
    fi
    if [ -z "$pool_size" ]; then
        echo "bench-e2e: the coordinator's metrics ($COORD_METRICS) do not answer; set MPC_COORDINATOR_METRICS_URL" >&2
        exit 1
    fi
    urls=""
    for i in $(seq 1 "$n"); do urls="$urls${urls:+,}http://127.0.0.1:$((PBASE + i))/metrics"; done

    if selected keygen "$tag"; then
        wait_quiet
        run --keygen "gg18:$t:$n" --keygens "$KEYGENS" --participant-metrics "$urls" --wait-paillier 1 \
            --label "gg keygen $name, warm Paillier pool (participants' background generation)"
        wait_quiet
        aside_cmd=""
        for i in $(seq 1 "$n"); do
            mkdir -p "$ASIDE/node-$i"
            aside_cmd="$aside_cmd find '$(pool_dir "$i")' -maxdepth 1 -name 'pp-*.seal' -exec mv -n {} '$ASIDE/node-$i/' \\; ;"
        done
        run --keygen "gg18:$t:$n" --keygens "$KEYGENS" --participant-metrics "$urls" --before-each "$aside_cmd" \
            --label "gg keygen $name, cold Paillier pool (ready keys moved aside: safe primes generated inline)"
        restore_pools
    fi

    if selected gg18 "$tag"; then
        wait_quiet
        run "${gg[@]}" --keygen "gg18:$t:$n" --rate 1 --duration "$DURATION" --warmup 2 --label "gg18 $name, 1 req/s"
    fi

    if selected gg20 "$tag"; then
        # (a) online signing from a warm pool, no refill during the run
        use=$((${pool_size%.*} - ${low_water%.*}))
        if [ "${pool_size%.*}" -gt 0 ] && [ "$use" -ge 2 ]; then
            count=$((2 * DURATION < use ? 2 * DURATION : use))
            wait_quiet
            run "${gg[@]}" --keygen "gg20:$t:$n" --warmup 2 --wait-presig "${pool_size%.*}" --rate 2 \
                --duration "$(awk -v c="$count" 'BEGIN { print c / 2 }')" \
                --label "gg20 $name online, warm presignature pool, 2 req/s"
        else
            echo "bench-e2e: gg20 $name warm-pool run skipped: presign.pool_size $pool_size, low_water $low_water" >&2
        fi
        # (b) sustained, presigning included, from an empty pool; (c) inline
        # signatures are reported separately in every run's "presignatures"
        wait_quiet
        run "${gg[@]}" --keygen "gg20:$t:$n" --warmup 0 --closed "$CLOSED" --duration "$DURATION" \
            --label "gg20 $name sustained (presigning included, fresh key), closed loop $CLOSED in flight"
        key=$(json_field "$LAST" key_id 2>/dev/null || true)
        pub=$(json_field "$LAST" public_key 2>/dev/null || true)
        for rate in $RATES; do
            [ -n "$key" ] || break
            run "${gg[@]}" --key-id "$key" --protocol gg20 --public-key "$pub" --warmup 0 --rate "$rate" \
                --duration "$DURATION" --label "gg20 $name sustained (presigning included), open loop $rate req/s"
        done
    fi
done
echo "bench-e2e: results in $out" >&2
exit $status
