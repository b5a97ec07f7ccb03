#!/usr/bin/env bash
# Make sure the local PostgreSQL, RabbitMQ and Redis are up, unless DATABASE_URL / AMQP_URI / REDIS_URL
# point elsewhere.
# Starts only what is down; never stops anything. Used by `make up`, `make test` and friends.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds what
  for _ in $(seq "$2"); do port_open "$1" && return 0; sleep 1; done
  echo "$3 did not answer on 127.0.0.1:$1 within $2 s" >&2
  return 1
}

if [ -z "${DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "Starting PostgreSQL"
    versions=(/etc/postgresql/*)
    pg_ctlcluster --skip-systemctl-redirect "$(basename "${versions[-1]}")" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if [ -z "$(psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'opendetat'")" ]; then
    echo "Creating database opendetat"
    psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE opendetat'
  fi
fi

if [ -z "${AMQP_URI:-}" ]; then
  if ! port_open 5672; then
    echo "Starting RabbitMQ"
    rabbitmq-server -detached
    wait_port 5672 60 RabbitMQ
  fi
  rabbitmqctl -q await_startup >/dev/null
  # The management API serves nameko's test fixtures and gives operators the UI on :15672.
  if ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
    rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  fi
  wait_port 15672 60 "RabbitMQ management"
fi

# Redis keeps the abuse limits' counts (kit/ratelimit.py), shared by every gateway replica; it keeps
# nothing on disk.
if [ -z "${REDIS_URL:-}" ] && ! port_open 6379; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/opendetat.log
  wait_port 6379 30 Redis
fi
