#!/usr/bin/env bash
# Start the platform's processes under the project's own supervisord, then wait until it is ready.
# Run from `make up` (which first prepares .venv and the local PostgreSQL/RabbitMQ). Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

CTL=(.venv/bin/supervisorctl -c deploy/supervisord.conf)
PORT=${GATEWAY_PORT:-8000}
READY_URL="http://127.0.0.1:$PORT/health/ready"
PROGRAMS=(notification topics restitution registration gateway)
# A local run is a development setting unless told otherwise: the published development secrets of
# deploy/config.yaml are let through (with a warning). Set OPENDETAT_ENV=production and real secrets
# to run it for others.
export OPENDETAT_ENV=${OPENDETAT_ENV:-dev}

# Our own SMTP sink only when no SMTP server is given.
if [ -z "${SMTP_HOST:-}" ] && [ -z "${SMTP_PORT:-}" ]; then
  export OPENDETAT_SMTP_SINK=true
  PROGRAMS=(smtp_sink "${PROGRAMS[@]}")
else
  export OPENDETAT_SMTP_SINK=false
fi

mkdir -p var/log
if "${CTL[@]}" pid >/dev/null 2>&1; then
  echo "supervisord is already running (pid $("${CTL[@]}" pid)); it keeps the environment it started with."
  "${CTL[@]}" update >/dev/null  # picks up programs added to or changed in deploy/supervisord.conf
  "${CTL[@]}" start "${PROGRAMS[@]}" | grep -v 'already started' || true
else
  .venv/bin/supervisord -c deploy/supervisord.conf
fi

ready() {
  local running
  running=$("${CTL[@]}" status "${PROGRAMS[@]}" 2>/dev/null | grep -c ' RUNNING ') || true
  [ "$running" -eq "${#PROGRAMS[@]}" ] && curl -fsS -o /dev/null --max-time 5 "$READY_URL" 2>/dev/null
}

echo "Waiting for every process to be RUNNING and for $READY_URL ..."
up=false
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do if ready; then up=true; break; fi; sleep 1; done
"${CTL[@]}" status || true
if [ "$up" = false ]; then
  echo "Not ready after 60 s. Recent logs:" >&2
  for name in "${PROGRAMS[@]}"; do echo "--- var/log/$name.log" >&2; tail -n 15 "var/log/$name.log" >&2 || true; done
  echo "supervisord keeps restarting what exits; see \`make status\`, \`make logs\`; stop with \`make down\`." >&2
  exit 1
fi

if [ "$OPENDETAT_SMTP_SINK" = true ]; then
  mail="Maildir $(pwd)/var/mail (new messages in var/mail/new), from the local SMTP sink on 127.0.0.1:1025"
else
  mail="sent to ${SMTP_HOST:-127.0.0.1}:${SMTP_PORT:-1025}"
fi
if [ -z "${AMQP_URI:-}" ]; then
  mq="http://127.0.0.1:15672 (guest/guest)"
else
  mq="the management UI of the broker in AMQP_URI"
fi
cat <<EOF

Open d'Etat is up.
  Gateway:      http://127.0.0.1:$PORT/api/v1  (OpenAPI: /api/v1/openapi.json, health: /health/ready)
  Emails:       $mail
  RabbitMQ UI:  $mq
  Logs:         var/log/<process>.log  (make logs, make status)
  Stop:         make down
EOF
