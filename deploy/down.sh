#!/usr/bin/env bash
# Stop what `make up` started: the project's own supervisord and its programs. PostgreSQL and RabbitMQ
# are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

CTL=(.venv/bin/supervisorctl -c deploy/supervisord.conf)
if ! pid=$("${CTL[@]}" pid 2>/dev/null) || ! [[ "$pid" =~ ^[0-9]+$ ]]; then
  echo "Not running."
  exit 0
fi

alive() { local stat; stat=$(ps -o stat= -p "$1") && [[ $stat != Z* ]]; }  # a zombie is gone

"${CTL[@]}" shutdown
# shutdown returns at once; supervisord then stops each program (up to its stopwaitsecs) and exits.
for _ in $(seq 90); do
  alive "$pid" || { echo "Stopped."; exit 0; }
  sleep 1
done
echo "supervisord (pid $pid) is still running after 90 s" >&2
exit 1
