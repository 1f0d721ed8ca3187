#!/usr/bin/env bash
# rollback.sh BEFORE-UPGRADE.dump: back to the release and the database of before an upgrade.
# Stops the units, restores the dump into a new database, swaps it in under the live name (the upgraded
# database is kept as <name>_failed_<UTC>), checks out and installs the previous release (from the .release
# file beside the dump), starts the units. Answers given since the upgrade are in the kept database only.
# Settings: see common.sh.
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || die "usage: rollback.sh BEFORE-UPGRADE.dump"
dump=$1 notes=${1%.dump}.release
[[ -r $notes ]] || die "$notes: missing; it is written by upgrade.sh beside its dump"
previous=$(sed -n 's/^release=//p' "$notes")
[[ -n $previous ]] || die "$notes names no release"
when=$(stamp)
restored=${PG_DBNAME}_rollback_${when,,}
kept=${PG_DBNAME}_failed_${when,,}

"$(dirname "$0")/restore.sh" "$dump" "$restored"
services stop
# Renaming needs the database to have no sessions: the units are stopped; end whatever else is left.
psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = '$PG_DBNAME' AND pid <> pg_backend_pid()" >/dev/null
# One statement string is one transaction: both names change, or neither.
psql_admin -c "ALTER DATABASE \"$PG_DBNAME\" RENAME TO \"$kept\";
               ALTER DATABASE \"$restored\" RENAME TO \"$PG_DBNAME\""

git -C "$APP_DIR" -c advice.detachedHead=false checkout --quiet "$previous"
$INSTALL
services start
echo "rolled back to $previous with $dump; the upgraded database is kept as $kept"
