#!/usr/bin/env python3
"""kafka_admin.py - Kafka admin helper for scripts/stack.sh (no JVM start-up).

Uses confluent-kafka (from .local/venv) so that waiting for the broker,
creating every topic and describing them costs one fast process instead of one
JVM launch per topic.

  kafka_admin.py wait     --bootstrap HOST:PORT [--timeout S]
  kafka_admin.py ensure   --bootstrap HOST:PORT --partitions N [--timeout S]
  kafka_admin.py describe --bootstrap HOST:PORT

`wait` succeeds once the broker answers a metadata request. `ensure` creates
the topics of DESIGN.md section 2 that do not exist yet and checks the ones that
do; on a new broker it also has Kafka create and load its internal topics
(__consumer_offsets, __transaction_state) without writing any record, so that
the first consumer group and idempotent producer do not wait for them. `describe` prints one line per topic: name, partitions, replication factor,
cleanup.policy. Exit status: 0 ok, 1 Kafka error, 2 usage.
"""
import argparse
import logging
import sys
import time

try:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
except ImportError:  # pragma: no cover - reported to the user by stack.sh
    sys.stderr.write("confluent-kafka is not installed; run scripts/deps.sh\n")
    sys.exit(1)

# name -> topic configs (DESIGN.md section 2).
TOPICS = {
    "mpc.keygen.requests": {},
    "mpc.sign.requests": {},
    "mpc.rounds": {},
    "mpc.results": {},
    "mpc.nodes": {"cleanup.policy": "compact"},
    "mpc.dlq": {},
}


def admin_client(bootstrap):
    quiet = logging.getLogger("kafka_admin.librdkafka")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return AdminClient({
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": 5000,
        "logger": quiet,
    })


def wait_for_metadata(admin, timeout):
    """Returns cluster metadata once the broker answers, or raises."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            md = admin.list_topics(timeout=min(3.0, max(0.5, deadline - time.monotonic())))
            if md.brokers:
                return md
        except KafkaException as e:
            last = e
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no metadata from broker within {timeout:.0f}s ({last})")
        time.sleep(0.3)


def cleanup_policies(admin, names):
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    out = {}
    for res, fut in admin.describe_configs(resources).items():
        entry = fut.result(timeout=15).get("cleanup.policy")
        out[res.name] = entry.value if entry is not None else "?"
    return out


def cmd_wait(admin, args):
    md = wait_for_metadata(admin, args.timeout)
    print(f"kafka: broker answers metadata (cluster {md.cluster_id}, {len(md.brokers)} broker)")
    return 0


def retry(what, fn, deadline):
    """Calls fn() until it succeeds; a fresh broker answers NOT_COORDINATOR or
    COORDINATOR_LOAD_IN_PROGRESS for a moment while a coordinator loads."""
    while True:
        try:
            return fn()
        except KafkaException as e:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{what}: {e}")
            time.sleep(0.3)


def warm_internal_topics(bootstrap, timeout):
    """Makes the broker create and load its group and transaction coordinators.

    A committed-offsets lookup creates __consumer_offsets; init_transactions()
    creates __transaction_state and returns once its coordinator has loaded.
    Nothing is written to any application topic.
    """
    deadline = time.monotonic() + timeout
    quiet = logging.getLogger("kafka_admin.librdkafka")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "mpc-stack-warmup",
                         "enable.auto.commit": False, "logger": quiet})
    try:
        retry("group coordinator", lambda: consumer.committed(
            [TopicPartition("mpc.dlq", 0)], timeout=5), deadline)
    finally:
        consumer.close()
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "mpc-stack-warmup",
                        "logger": quiet})
    retry("transaction coordinator", lambda: producer.init_transactions(10), deadline)


def cmd_ensure(admin, args):
    md = wait_for_metadata(admin, args.timeout)
    if "__consumer_offsets" not in md.topics or "__transaction_state" not in md.topics:
        t0 = time.monotonic()
        warm_internal_topics(args.bootstrap, args.timeout)
        print(f"kafka: internal topics created and loaded ({time.monotonic() - t0:.1f}s)")
    missing = [n for n in TOPICS if n not in md.topics]
    if missing:
        new = [NewTopic(n, num_partitions=args.partitions, replication_factor=1,
                        config=TOPICS[n]) for n in missing]
        for name, fut in admin.create_topics(new, operation_timeout=30).items():
            try:
                fut.result(timeout=60)
            except KafkaException as e:
                if e.args[0].name() != "TOPIC_ALREADY_EXISTS":
                    raise RuntimeError(f"creating topic {name}: {e}")
        print(f"kafka: created {len(missing)} topic(s): {' '.join(missing)}")
    else:
        print(f"kafka: all {len(TOPICS)} topics exist")
    return check_topics(admin, args.partitions, args.timeout)


def check_topics(admin, partitions, timeout):
    """Warns about existing topics that differ from what ensure would create."""
    md = wait_for_metadata(admin, timeout)
    policies = cleanup_policies(admin, list(TOPICS))
    ok = True
    for name, config in TOPICS.items():
        t = md.topics.get(name)
        if t is None:
            print(f"kafka: ERROR topic {name} still missing", file=sys.stderr)
            ok = False
            continue
        if len(t.partitions) != partitions:
            print(f"kafka: note: {name} has {len(t.partitions)} partitions, "
                  f"MPC_TOPIC_PARTITIONS={partitions} (existing topics are not changed)",
                  file=sys.stderr)
        want = config.get("cleanup.policy", "delete")
        if policies.get(name) != want:
            print(f"kafka: ERROR {name} has cleanup.policy={policies.get(name)}, want {want}",
                  file=sys.stderr)
            ok = False
    return 0 if ok else 1


def cmd_describe(admin, args):
    md = wait_for_metadata(admin, args.timeout)
    names = sorted(n for n in md.topics if not n.startswith("__"))
    policies = cleanup_policies(admin, names) if names else {}
    print(f"{'topic':<22} {'partitions':>10} {'replication':>11}  cleanup.policy")
    for n in names:
        parts = md.topics[n].partitions
        rf = len(next(iter(parts.values())).replicas) if parts else 0
        print(f"{n:<22} {len(parts):>10} {rf:>11}  {policies.get(n, '?')}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["wait", "ensure", "describe"])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args(argv)
    if args.partitions < 1:
        p.error("--partitions must be >= 1")
    admin = admin_client(args.bootstrap)
    handler = {"wait": cmd_wait, "ensure": cmd_ensure, "describe": cmd_describe}[args.command]
    try:
        return handler(admin, args)
    except (RuntimeError, KafkaException) as e:
        print(f"kafka: ERROR {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
