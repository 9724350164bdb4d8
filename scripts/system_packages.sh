#!/usr/bin/env bash
# Install, from Debian's packages, the system packages a make target needs and the machine lacks.
#
#   scripts/system_packages.sh venv            python3-venv, when `python3 -m venv` cannot work (no ensurepip)
#   scripts/system_packages.sh test            libodbc2 (pyodbc imports), postgresql (engine tests),
#                                              chromium + chromium-driver (the real-browser UI test)
#
# Only what is missing is installed, quietly, and only as root on a machine with apt-get; otherwise
# each missing package is named on stderr and the tests that need it skip, saying so.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
need=()
for what in "$@"; do
  case "$what" in
    venv)
      "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv) ;;
    test)
      { ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2'; } || need+=(libodbc2)
      ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver) ;;
    *)
      echo "system_packages: unknown need '$what' (venv or test)" >&2; exit 2 ;;
  esac
done
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system_packages: missing ${need[*]} (not root, or no apt-get): install them for the full test suite" >&2
  exit 0
fi
echo "system_packages: installing ${need[*]} from Debian's packages ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
