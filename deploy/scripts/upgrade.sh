#!/usr/bin/env bash
# upgrade.sh RELEASE: back up, check out RELEASE (a git tag or commit) in APP_DIR, install it, migrate the
# database once (flask db upgrade), restart the units. Writes $BACKUP_DIR/before-upgrade-<UTC>.dump and,
# beside it, .release with the previous release and schema revision, which rollback.sh reads.
# Run it on one server; on the others only check out, install and restart. Settings: see common.sh.
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || die "usage: upgrade.sh RELEASE"
release=$1
base=$BACKUP_DIR/before-upgrade-$(stamp)
previous=$(git -C "$APP_DIR" rev-parse HEAD)
# shellcheck disable=SC2086
schema=$(cd "$APP_DIR" && $FLASK db current 2>/dev/null | awk 'NF { rev = $1 } END { print rev }')

"$(dirname "$0")/backup.sh" "$base.dump" >/dev/null
printf 'release=%s\nschema=%s\ndatabase=%s\n' "$previous" "$schema" "$PG_DBNAME" >"$base.release"
echo "backup: $base.dump (release $previous, schema ${schema:-none})"

git -C "$APP_DIR" fetch --quiet --tags origin 2>/dev/null || true
git -C "$APP_DIR" -c advice.detachedHead=false checkout --quiet "$release"
$INSTALL
# shellcheck disable=SC2086
(cd "$APP_DIR" && $FLASK db upgrade)
services restart
echo "upgraded to $(git -C "$APP_DIR" rev-parse HEAD); to undo: rollback.sh $base.dump"
