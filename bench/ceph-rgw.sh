#!/bin/sh
# A throwaway single-node Ceph on loopback for `npm run bench -- --s3-endpoint`: one monitor,
# one OSD (BlueStore on a sparse 40 GiB file in DIR: the in-memory store filled up after two
# rounds of the bench), and the RADOS Gateway (Ceph's S3 server),
# with authentication inside the cluster off and one S3 user. For the bench only, never CI:
# Distribution's s3 driver needs ListMultipartUploads, which s3rver (the tests' server) lacks.
#
#   apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common
#   sh bench/ceph-rgw.sh start [DIR]   # prints the endpoint; DIR defaults to /tmp/lazaret-bench-ceph
#   npm run bench -- --s3-endpoint http://127.0.0.1:7480 --only blob,manifest --no-variants
#   sh bench/ceph-rgw.sh stop [DIR]    # stops the daemons and removes DIR with every object
#
# Environment: LAZARET_BENCH_RGW_PORT (7480), LAZARET_BENCH_MON_PORT (6789),
# LAZARET_BENCH_S3_ACCESS_KEY_ID / LAZARET_BENCH_S3_SECRET_ACCESS_KEY (the bench reads the same).
set -eu
cmd=${1:-}
dir=${2:-/tmp/lazaret-bench-ceph}
rgw_port=${LAZARET_BENCH_RGW_PORT:-7480}
mon_port=${LAZARET_BENCH_MON_PORT:-6789}
access=${LAZARET_BENCH_S3_ACCESS_KEY_ID:-lazaret-bench}
secret=${LAZARET_BENCH_S3_SECRET_ACCESS_KEY:-lazaret-bench-secret}
conf="$dir/ceph.conf"

stop() {
  pids=""
  for file in "$dir"/run/*.pid; do
    [ -f "$file" ] && pids="$pids $(cat "$file")"
  done
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  # Daemons take a few seconds to stop; the rest of DIR goes only once they have.
  i=0
  for pid in $pids; do
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1)); [ $i -gt 30 ] && kill -9 "$pid" 2>/dev/null
      sleep 1
    done
  done
  rm -rf "$dir"
}

case "$cmd" in
start)
  for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common" >&2; exit 1; }
  done
  [ -e "$dir" ] && { echo "$dir exists: stop the previous cluster first (sh $0 stop $dir)" >&2; exit 1; }
  mkdir -p "$dir/mon" "$dir/osd/ceph-0" "$dir/run" "$dir/log" "$dir/rgw"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  # One copy of everything (size 1) and few placement groups: one OSD, and a bench's data.
  cat > "$conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon initial members = a
ms bind msgr2 = false
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 42949672960
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
keyring = $dir/keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
EOF
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --add a "v1:127.0.0.1:$mon_port" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
  ceph-mon -c "$conf" -i a
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(timeout 60 ceph -c "$conf" osd new "$uuid")
  ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$uuid" 2>>"$dir/log/setup.log"
  ceph-osd -c "$conf" -i "$id" 2>>"$dir/log/setup.log"
  radosgw -c "$conf" -n client.rgw.a
  timeout 120 radosgw-admin -c "$conf" user create --uid=lazaret-bench --display-name=lazaret-bench --access-key="$access" --secret-key="$secret" >/dev/null
  i=0
  until curl -fsS -o /dev/null "http://127.0.0.1:$rgw_port/" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 60 ] && { echo "the gateway did not answer; logs in $dir/log" >&2; stop; exit 1; }
    sleep 1
  done
  echo "http://127.0.0.1:$rgw_port"
  ;;
stop) stop ;;
*) echo "usage: sh $0 start|stop [DIR]" >&2; exit 2 ;;
esac
