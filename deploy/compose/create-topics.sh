#!/usr/bin/env bash
# Creates every MILE topic and its dead-letter topic (6 partitions; dead letters kept 30 days)
# before any service starts, because the broker does not auto-create topics.
set -euo pipefail
create() {
    /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists \
        --topic "$1" --partitions 6 --replication-factor 1 --config "retention.ms=$2"
}
week=604800000
month=2592000000
topics=()
IFS=',' read -ra cities <<<"${MILE_CITIES:?}"
for city in "${cities[@]}"; do topics+=("mile.intake.${city}.participants.v1"); done
topics+=(mile.matching.vacancies.v1 mile.matching.matches.v1 mile.placement.placements.v1)
for topic in "${topics[@]}"; do
    create "$topic" "$week"
    create "$topic.dlt" "$month"
done
