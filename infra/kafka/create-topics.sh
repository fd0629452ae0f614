#!/usr/bin/env bash
# Creates the event and dead-letter topics (idempotent). Usage: create-topics.sh <bootstrap-server>
set -euo pipefail
bootstrap="${1:-localhost:9092}"
for topic in concert.queue.events concert.booking.events concert.wallet.events; do
  for name in "$topic" "$topic.dlq"; do
    /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists \
      --topic "$name" --partitions 6 --replication-factor 1
  done
done
