#!/usr/bin/env bash
# restore.sh DUMP NEW_DATABASE: createdb NEW_DATABASE on DATABASE_URL's server and pg_restore DUMP into it.
# Never touches the running database: point DATABASE_URL at the new one (or rollback.sh swaps the names).
# Settings: see common.sh.
source "$(dirname "$0")/common.sh"

[[ $# -eq 2 ]] || die "usage: restore.sh DUMP NEW_DATABASE"
dump=$1 target=$2
[[ -r $dump ]] || die "$dump: no such dump (or not readable)"
[[ $target =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "$target: a database name is letters, digits and _"

# Fails when the database exists: a restore never mixes with data already there.
createdb --maintenance-db="$(pg_url_for postgres)" "$target"
if ! pg_restore --exit-on-error --no-owner --dbname="$(pg_url_for "$target")" "$dump"; then
    dropdb --maintenance-db="$(pg_url_for postgres)" "$target"
    die "pg_restore of $dump failed; $target was dropped again"
fi
echo "restored $dump into $target"
