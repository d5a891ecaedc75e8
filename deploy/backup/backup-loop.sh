#!/usr/bin/env bash
# The backup_db service: runs backup.sh every BACKUP_INTERVAL seconds (default 86400, once a day).
# The schedule survives restarts: the next run is due BACKUP_INTERVAL after the newest backup in
# BACKUP_DIR, so a restart neither skips a backup nor makes an extra one. A failed run is retried after
# BACKUP_RETRY_SECONDS (default 300, or the interval when that is shorter).
#
#   backup-loop.sh           the schedule (the container's main process)
#   backup-loop.sh --check   health check: succeeds when the newest backup is younger than 2 x BACKUP_INTERVAL
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_INTERVAL="${BACKUP_INTERVAL:-86400}"
BACKUP_RETRY_SECONDS="${BACKUP_RETRY_SECONDS:-300}"
here="$(cd "$(dirname "$0")" && pwd)"

log() { printf '%s backup_db: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
if ! [[ "$BACKUP_INTERVAL" =~ ^[1-9][0-9]*$ ]]; then
  log "ERROR: BACKUP_INTERVAL must be a positive number of seconds (got '$BACKUP_INTERVAL')"
  exit 1
fi
[[ "$BACKUP_RETRY_SECONDS" =~ ^[0-9]+$ ]] || {
  log "ERROR: BACKUP_RETRY_SECONDS must be a number of seconds (got '$BACKUP_RETRY_SECONDS')"
  exit 1
}

newest_backup_time() { # epoch seconds of the newest backup, 0 when there is none
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
    -regex '.*/[0-9]{8}T[0-9]{6}Z(-[0-9]+)?' -printf '%T@\n' 2>/dev/null | sort -rn | head -n 1 | cut -d. -f1 | grep . || echo 0
}

if [ "${1:-}" = "--check" ]; then
  age=$(($(date +%s) - $(newest_backup_time)))
  [ "$age" -lt $((2 * BACKUP_INTERVAL)) ] || {
    echo "newest backup is ${age}s old (BACKUP_INTERVAL=${BACKUP_INTERVAL}s)"
    exit 1
  }
  exit 0
fi

# `sleep` in the background so that `docker compose stop` (SIGTERM) ends the loop at once.
trap 'log "stopping"; exit 0' TERM INT
pause() {
  sleep "$1" &
  wait $!
}

log "every ${BACKUP_INTERVAL}s into $BACKUP_DIR (retention: ${BACKUP_RETENTION_DAYS:-7} days, count ${BACKUP_RETENTION_COUNT:-0})"
while true; do
  due=$(($(newest_backup_time) + BACKUP_INTERVAL - $(date +%s)))
  if [ "$due" -gt 0 ]; then
    log "next backup in ${due}s"
    pause "$due"
  fi
  if ! "$here/backup.sh"; then
    retry=$((BACKUP_RETRY_SECONDS < BACKUP_INTERVAL ? BACKUP_RETRY_SECONDS : BACKUP_INTERVAL))
    log "backup failed; retrying in ${retry}s"
    pause "$retry"
  fi
done
