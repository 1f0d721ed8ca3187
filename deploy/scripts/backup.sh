#!/usr/bin/env bash
# backup.sh [FILE]: pg_dump (custom format) of DATABASE_URL's database into FILE
# [$BACKUP_DIR/survey-<UTC time>.dump], readable by its owner only. Prints the file's name.
# Nightly from cron, and before every upgrade (upgrade.sh does it). Settings: see common.sh.
source "$(dirname "$0")/common.sh"

file=${1:-$BACKUP_DIR/survey-$(stamp).dump}
mkdir -p "$(dirname "$file")"
umask 077
# Into a temporary name first: a dump cut short never looks like a finished one.
pg_dump --format=custom --no-owner --file="$file.partial" "$PG_URL"
mv "$file.partial" "$file"
echo "$file"
