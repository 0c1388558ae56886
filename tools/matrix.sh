#!/bin/bash
#
# matrix.sh: "make test" against the PostgreSQL versions Debian ships beside
# the host's, each built and run inside a chroot made with debootstrap from
# Debian's archive.
#
#   tools/matrix.sh [VERSION...]
#
# Versions come from the arguments, else from MATRIX_VERSIONS ("17 18 19"):
#   15  Debian 12 "bookworm" (the host's own; not run unless asked)
#   17  Debian 13 "trixie"
#   18  Debian unstable "sid"
#   19  sid with "experimental" added, pinned for the postgresql-19 packages
#
# Settings, all from the environment:
#   MATRIX_DIR      where the chroots live (default /var/tmp/vmastat-matrix)
#   MATRIX_MIRROR   Debian mirror (default: the one the host's apt uses)
#   MATRIX_JOBS     versions handled at once (default 1)
#   MATRIX_TIMEOUT  seconds one version's "make test" may take (default 1800)
#   MATRIX_REFRESH  1: update and upgrade the packages of existing chroots
#   VMASTAT_*, FUZZ_SECONDS  passed on to "make test" inside the chroots
#
# A chroot is kept for the next run once its packages are installed (stamp
# file /.vmastat-matrix-ready inside it); a half-made one is made again.
# Logs and per-version results are under $MATRIX_DIR/logs.
#
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
matrix_dir=${MATRIX_DIR:-/var/tmp/vmastat-matrix}
jobs=${MATRIX_JOBS:-1}
suite_timeout=${MATRIX_TIMEOUT:-1800}
refresh=${MATRIX_REFRESH:-0}
logdir=$matrix_dir/logs

if [ $# -gt 0 ] && [ "$1" != --prepare ]; then
	versions="$*"
else
	versions=${MATRIX_VERSIONS:-17 18 19}
fi

say() {
	printf '%s matrix: %s\n' "$(date +%H:%M:%S)" "$*"
}

die() {
	say "$*" >&2
	exit 2
}

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
case $matrix_dir in
	/*) ;;
	*) die "MATRIX_DIR must be an absolute path" ;;
esac
# mount points are looked up in /proc/mounts, which escapes white space
case $matrix_dir in
	*[[:space:]]*) die "MATRIX_DIR must not contain white space" ;;
esac
case $jobs in
	'' | *[!0-9]* | 0) die "MATRIX_JOBS must be a positive number" ;;
esac
# mounts and process roots show the path with symbolic links resolved
mkdir -p "$matrix_dir"
matrix_dir=$(cd "$matrix_dir" && pwd -P)
logdir=$matrix_dir/logs

# The Debian mirror the host's apt uses: the chroots then come from the
# same place as the host's own packages.
host_mirror() {
	local uri
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	uri=$(apt-get indextargets --format '$(ORIGIN) $(SUITE) $(REPO_URI)' \
		'Identifier: Packages' 2>/dev/null |
		awk '$1 == "Debian" && $2 !~ /-security$/ { print $3; exit }')
	if [ -z "$uri" ]; then
		# no package lists yet: read the sources themselves
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
				$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break } }' |
			grep -E '/debian/?$' | head -n 1 || true)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

mirror=${MATRIX_MIRROR:-$(host_mirror)}
export MATRIX_MIRROR=$mirror

# What each version is made of: the chroot's name, the suite debootstrap
# installs, and whether experimental is added.
version_suite() {
	case $1 in
		15) echo bookworm ;;
		17) echo trixie ;;
		18) echo sid ;;
		19) echo experimental ;;
		*) return 1 ;;
	esac
}

# Mount points under a chroot, deepest first
mounts_under() {
	awk -v root="$1" 'index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r
}

# Processes whose root directory is the chroot: what the suite left behind
pids_in() {
	local p
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ]; then
			echo "${p#/proc/}"
		fi
	done
}

release_chroot() {
	local root=$1 pids m tries=0 signal=TERM
	pids=$(pids_in "$root")
	while [ -n "$pids" ] && [ $tries -lt 10 ]; do
		[ $tries -lt 5 ] || signal=KILL
		# shellcheck disable=SC2086 # one PID a word
		kill -s $signal $pids 2>/dev/null || true
		sleep 1
		tries=$((tries + 1))
		pids=$(pids_in "$root")
	done
	for m in $(mounts_under "$root"); do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
}

mount_chroot() {
	local root=$1
	mount -t proc proc "$root/proc"
	# POSIX shared memory of the clusters; a tmpfs of its own keeps their
	# segments apart from the host's
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
}

# Runs a command in the background and waits: a signal then reaches the
# trap at once instead of after the command.
waiting_pid=
run_waiting() {
	"$@" &
	waiting_pid=$!
	wait $waiting_pid
}

# Writes the apt and dpkg settings of a chroot for its suite
configure_apt() {
	local root=$1 suite=$2 base=$2
	[ "$suite" = experimental ] && base=sid
	{
		echo "deb $mirror $base main"
		[ "$suite" = experimental ] && echo "deb $mirror experimental main"
	} >"$root/etc/apt/sources.list"
	rm -f "$root/etc/apt/preferences.d/vmastat-matrix"
	if [ "$suite" = experimental ]; then
		# experimental's packages have priority 1: raise only PostgreSQL's
		# (libpq included), the rest comes from sid
		cat >"$root/etc/apt/preferences.d/vmastat-matrix" <<-EOF
			Package: src:postgresql-*
			Pin: release a=experimental
			Pin-Priority: 500
		EOF
	fi
	cat >"$root/etc/apt/apt.conf.d/90vmastat-matrix" <<-'EOF'
		// the archive reached may be a snapshot whose Release files expired
		Acquire::Check-Valid-Until "false";
		Acquire::Languages "none";
		APT::Install-Recommends "false";
		APT::Get::Assume-Yes "true";
		Dpkg::Options { "--force-confdef"; "--force-confold"; };
	EOF
	# a throwaway system: no fsync, no documentation
	cat >"$root/etc/dpkg/dpkg.cfg.d/90vmastat-matrix" <<-'EOF'
		force-unsafe-io
		path-exclude=/usr/share/doc/*
		path-exclude=/usr/share/man/*
		path-exclude=/usr/share/info/*
	EOF
	# packages must not start services inside the chroot
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# the tests make their own clusters: no main cluster at install
	mkdir -p "$root/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" \
		>"$root/etc/postgresql-common/createcluster.d/vmastat-matrix.conf"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

in_chroot() {
	local root=$1
	shift
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# Installs what the suite needs; the clang runtime (for the sanitizers and
# libFuzzer) must match the version of the suite's default clang.
install_packages() {
	local root=$1 version=$2 clang_version pkgs optional
	in_chroot "$root" apt-get -q update
	clang_version=$(in_chroot "$root" apt-cache depends clang |
		sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -n "$clang_version" ] || { echo "no clang-NN behind clang" >&2; return 1; }
	pkgs="build-essential perl libipc-run-perl procps smem
		clang libclang-rt-$clang_version-dev
		postgresql-$version postgresql-server-dev-$version"
	# Where the suite has them: JIT (a package of its own from 18 on, only
	# recommended), pg_cron and the Prometheus exporters, whose tests skip
	# without them.
	for optional in "postgresql-$version-jit" "postgresql-$version-cron" \
		prometheus-postgres-exporter prometheus-sql-exporter; do
		if in_chroot "$root" apt-cache show "$optional" >/dev/null 2>&1; then
			pkgs="$pkgs $optional"
		fi
	done
	# shellcheck disable=SC2086
	in_chroot "$root" apt-get -q install $pkgs
	if [ "$refresh" = 1 ]; then
		in_chroot "$root" apt-get -q dist-upgrade
	fi
	in_chroot "$root" apt-get clean
	# fail here rather than in the suite if the wrong version came in
	in_chroot "$root" "/usr/lib/postgresql/$version/bin/pg_config" --version
}

# Makes or reuses the chroot of one version.  Prints "created", "updated"
# or "reused".
prepare_chroot() {
	local root=$1 suite=$2 version=$3 base=$2 recipe
	[ "$suite" = experimental ] && base=sid
	recipe="$suite $mirror postgresql-$version +jit +cron +exporters"
	if [ ! -e "$root/.vmastat-matrix-base" ]; then
		release_chroot "$root"
		rm -rf --one-file-system "$root"
		mkdir -p "$root"
		debootstrap --variant=minbase "$base" "$root" "$mirror" >&2
		touch "$root/.vmastat-matrix-base"
		rm -f "$root/.vmastat-matrix-ready"
		echo created
	elif [ "$refresh" = 1 ] ||
		[ "$(cat "$root/.vmastat-matrix-ready" 2>/dev/null)" != "$recipe" ]; then
		rm -f "$root/.vmastat-matrix-ready"
		echo updated
	else
		echo reused
		return 0
	fi
	configure_apt "$root" "$suite"
	mount_chroot "$root"
	install_packages "$root" "$version" >&2
	release_chroot "$root"
	echo "$recipe" >"$root/.vmastat-matrix-ready"
}

# Copies the work tree, without build products, to /build/vmastat
copy_source() {
	local dest=$1/build/vmastat
	rm -rf --one-file-system "$dest"
	mkdir -p "$dest"
	if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# tracked and new files, not what .gitignore names
		git -C "$srcdir" ls-files -z --cached --others --exclude-standard |
			(cd "$srcdir" && while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done) |
			tar -C "$srcdir" --null -T - -cf - | tar -C "$dest" -xf -
	else
		tar -C "$srcdir" --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
			--exclude=./results --exclude=./tmp_check --exclude=./log \
			--exclude=./test/fuzz/corpus -cf - . | tar -C "$dest" -xf -
	fi
}

# Variables passed on to the suite
suite_env() {
	env | grep -E '^(VMASTAT_[A-Za-z0-9_]*|FUZZ_SECONDS)=' || true
}

# Everything for one version, in a subshell of its own: writes
# $logdir/NAME.result as "PASS|FAIL|ERROR chroot-state chroot-seconds
# test-seconds".
run_version() {
	# no locals: the EXIT trap runs after the function has returned
	version=$1
	state="-"
	status=ERROR
	suite=$(version_suite "$version")
	name=pg$version-$suite
	root=$matrix_dir/$name
	lock=$matrix_dir/$name.lock
	: >"$logdir/$name.setup.log"
	: >"$logdir/$name.test.log"
	t0=$(date +%s)
	t1=$t0
	t2=$t0

	# shellcheck disable=SC2317 # called by the trap
	finish() {
		[ -z "$waiting_pid" ] || kill "$waiting_pid" 2>/dev/null || true
		release_chroot "$root"
		[ "$t2" -ge "$t1" ] || t2=$(date +%s)
		echo "$status $state $((t1 - t0)) $((t2 - t1))" >"$logdir/$name.result"
	}
	trap finish EXIT
	trap 'exit 130' INT TERM

	# two runs must not work in the same chroot at once
	exec 9>"$lock"
	if ! flock -n 9; then
		say "PG $version: waiting for another run using $root"
		flock 9
	fi

	say "PG $version: chroot $root ($suite)"
	# a process of its own, so that set -e holds in it
	if ! run_waiting "$BASH" "$0" --prepare "$version" \
		>"$logdir/$name.state" 2>"$logdir/$name.setup.log"; then
		t1=$(date +%s)
		t2=$t1
		say "PG $version: ERROR preparing the chroot, see $logdir/$name.setup.log"
		exit 1
	fi
	state=$(cat "$logdir/$name.state")
	t1=$(date +%s)
	t2=0
	say "PG $version: chroot $state in $((t1 - t0)) s; running make test"

	copy_source "$root"
	mapfile -t passenv < <(suite_env)
	mount_chroot "$root"
	status=FAIL
	if run_waiting timeout --kill-after=60 "$suite_timeout" \
		chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "${passenv[@]}" \
		make -C /build/vmastat test \
		PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" \
		>"$logdir/$name.test.log" 2>&1; then
		status=PASS
	fi
	t2=$(date +%s)
	say "PG $version: $status in $((t2 - t1)) s"
}

if [ "${1:-}" = --prepare ]; then
	version_suite "$2" >/dev/null || die "PostgreSQL $2: no Debian suite known for it"
	prepare_chroot "$matrix_dir/pg$2-$(version_suite "$2")" "$(version_suite "$2")" "$2"
	exit
fi

mkdir -p "$matrix_dir" "$logdir"
for v in $versions; do
	version_suite "$v" >/dev/null || die "PostgreSQL $v: no Debian suite known for it (15, 17, 18 and 19 are)"
done
command -v debootstrap >/dev/null || {
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
say "versions: $versions; mirror: $mirror; chroots in $matrix_dir; $jobs at once"

children=()
stop_children() {
	say "interrupted: stopping, unmounting"
	[ ${#children[@]} -eq 0 ] || kill "${children[@]}" 2>/dev/null || true
	wait
	exit 130
}
trap stop_children INT TERM

started=$(date +%s)
for v in $versions; do
	rm -f "$logdir/pg$v-$(version_suite "$v").result"
	if [ "$jobs" -gt 1 ]; then
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n || true
		done
		(run_version "$v") &
		children+=($!)
	else
		(run_version "$v") &
		children=($!)
		wait $! || true
	fi
done
wait || true

# Logs of what failed, then the summary
failed=0
passed=0
summary=()
for v in $versions; do
	name=pg$v-$(version_suite "$v")
	result=ERROR
	state=- setup='?' tests='?'
	if [ -s "$logdir/$name.result" ]; then
		read -r result state setup tests <"$logdir/$name.result"
	fi
	if [ "$result" = PASS ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		if [ "$result" = FAIL ]; then
			echo "======== PG $v: make test output ($logdir/$name.test.log)"
			cat "$logdir/$name.test.log"
		else
			echo "======== PG $v: end of the chroot set-up log ($logdir/$name.setup.log)"
			tail -n 60 "$logdir/$name.setup.log"
		fi
	fi
	summary+=("$(printf '  PG %-3s %-22s %-5s chroot %-8s %5s s   make test %5s s' \
		"$v" "($name)" "$result" "$state" "$setup" "$tests")")
done
echo "======== matrix summary ($(($(date +%s) - started)) s in all)"
printf '%s\n' "${summary[@]}"
echo "matrix: $passed passed, $failed failed"
[ $failed -eq 0 ]
