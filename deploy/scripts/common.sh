# Sourced by the scripts beside it. Settings (environment, all optional):
#   ENV_FILE    the app's environment file, read when it exists      [/etc/integrity-survey/env]
#   APP_DIR     the release: a git checkout of integrity-survey        [/srv/integrity-survey]
#   VENV        its virtual environment                                [$APP_DIR/.venv]
#   BACKUP_DIR  where dumps and release notes go                       [/var/backups/integrity-survey]
#   SERVICES    the systemd units to stop and start
#               [integrity-survey@8001 integrity-survey@8002 integrity-survey-worker]
#   FLASK       how to run the app's CLI                               [$VENV/bin/flask --app survey_app]
#   INSTALL     how to install the checked-out release                 [$VENV/bin/pip install --quiet $APP_DIR]
# The database is DATABASE_URL's (the app's SQLAlchemy URL); the PostgreSQL role in it needs CREATEDB for
# restore and rollback (or run the scripts with a role that owns the database).
set -euo pipefail

ENV_FILE=${ENV_FILE:-/etc/integrity-survey/env}
if [[ -r $ENV_FILE ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi
APP_DIR=${APP_DIR:-/srv/integrity-survey}
VENV=${VENV:-$APP_DIR/.venv}
BACKUP_DIR=${BACKUP_DIR:-/var/backups/integrity-survey}
SERVICES=${SERVICES-integrity-survey@8001 integrity-survey@8002 integrity-survey-worker}
FLASK=${FLASK:-$VENV/bin/flask --app survey_app}
INSTALL=${INSTALL:-$VENV/bin/pip install --quiet $APP_DIR}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set (and $ENV_FILE does not set it)"
case $DATABASE_URL in
    postgresql+psycopg://* | postgresql://* | postgres://*) ;;
    *) die "DATABASE_URL is not a PostgreSQL URL; these scripts back up PostgreSQL only" ;;
esac
# libpq does not know SQLAlchemy's driver suffix.
PG_URL="postgresql://${DATABASE_URL#*://}"
# postgresql://user:pw@host:5432/NAME?options -> the server part, NAME and the options.
pg_path=${PG_URL%%\?*}
PG_DBNAME=${pg_path##*/}
PG_SERVER=${pg_path%/*}
PG_QUERY=""
[[ $PG_URL == *\?* ]] && PG_QUERY="?${PG_URL#*\?}"
[[ $PG_SERVER == postgresql://?* && -n $PG_DBNAME ]] || die "DATABASE_URL names no database"

# pg_url_for NAME: the same server, role and options, another database.
pg_url_for() { echo "$PG_SERVER/$1$PG_QUERY"; }
# psql on the maintenance database (CREATE/ALTER DATABASE cannot run inside the database they change).
psql_admin() { psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 "$(pg_url_for postgres)" "$@"; }

services() {
    local action=$1
    [[ -n $SERVICES ]] || return 0
    # shellcheck disable=SC2086
    systemctl "$action" $SERVICES
}

stamp() { date -u +%Y%m%dT%H%M%SZ; }
