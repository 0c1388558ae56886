#!/bin/bash
#
# test-packages.sh: the Debian packages "make test" needs for one PostgreSQL
# major version, and installing those that are missing.
#
#   tools/test-packages.sh [MAJOR]             prints the missing packages
#   tools/test-packages.sh --install [MAJOR]   installs them: as root with
#       apt-get, else with sudo if it needs no password; otherwise prints the
#       one command that installs them all and fails
#
# MAJOR defaults to the version of PG_CONFIG (or pg_config on the PATH),
# else the newest installed server, else the distribution's default.
#
# Required: the server and its development files, a C toolchain, clang with
# its runtime (sanitizers, libFuzzer), Perl's IPC::Run (TAP), procps (pmap)
# and smem (oracles).  Where the distribution has them: pg_cron and JIT, and
# the Prometheus exporters the integration files are tested with
# (prometheus-postgres-exporter and prometheus-sql-exporter).  The tests
# that need an optional package skip without it.
#
set -euo pipefail

install=0
if [ "${1:-}" = --install ]; then
	install=1
	shift
fi

is_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

available() {
	[ -n "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)')" ]
}

major=${1:-}
if [ -z "$major" ]; then
	pg_config=${PG_CONFIG:-pg_config}
	if command -v "$pg_config" >/dev/null 2>&1; then
		major=$("$pg_config" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
	fi
fi
if [ -z "$major" ]; then
	major=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
		sort -n | tail -n 1)
fi
if [ -z "$major" ]; then
	major=$(apt-cache depends postgresql 2>/dev/null |
		sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
fi
[ -n "$major" ] || { echo "test-packages: cannot tell which PostgreSQL to test" >&2; exit 1; }

command -v apt-get >/dev/null || {
	echo "test-packages: not a Debian or Ubuntu system; install by hand what tools/test-packages.sh lists" >&2
	exit 1
}

# the package lists are needed to see what exists; update once if empty
if [ "$install" = 1 ] && ! available "postgresql-$major"; then
	if [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq
	elif sudo -n true 2>/dev/null; then
		sudo apt-get update -qq
	fi
fi

clang_version=$(apt-cache depends clang 2>/dev/null |
	sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
wanted=(build-essential perl libipc-run-perl procps smem clang
	"postgresql-$major" "postgresql-server-dev-$major")
[ -z "$clang_version" ] || wanted+=("libclang-rt-$clang_version-dev")
for optional in "postgresql-$major-cron" "postgresql-$major-jit" \
	prometheus-postgres-exporter prometheus-sql-exporter; do
	available "$optional" && wanted+=("$optional")
done

missing=()
for package in "${wanted[@]}"; do
	is_installed "$package" || missing+=("$package")
done

if [ "$install" = 0 ]; then
	[ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
	exit 0
fi
[ ${#missing[@]} -gt 0 ] || exit 0

command=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
echo "make test: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	DEBIAN_FRONTEND=noninteractive "${command[@]}" >/dev/null
elif sudo -n true 2>/dev/null; then
	sudo DEBIAN_FRONTEND=noninteractive "${command[@]}" >/dev/null
else
	echo "make test needs packages that are not installed; install them with:" >&2
	echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
