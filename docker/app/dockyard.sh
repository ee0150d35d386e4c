#!/bin/sh
# The image's entry point. `api`, `worker` and `migrate` run that process, compiled, with plain node
# (it becomes PID 1 and gets the stop signal); none means `api`; any other command runs as given (`sh`).
set -e
case "${1:-api}" in
  api) app=/app/apps/api/dist/main.js ;;
  worker) app=/app/apps/worker/dist/main.js ;;
  migrate) app=/app/packages/shared/dist/migrate.js ;;
  *) exec "$@" ;;
esac
[ "$#" -eq 0 ] || shift
exec node --enable-source-maps "$app" "$@"
