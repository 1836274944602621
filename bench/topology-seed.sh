#!/usr/bin/env bash
# Seeds a lab with many tiny RBD images for `npm run bench:topology` (named swy-bulk-*, so `clean` finds them).
#   bash bench/topology-seed.sh seed SITE POOL COUNT [journal]   # journal: layering,exclusive-lock,journaling
#   bash bench/topology-seed.sh fast SITE POOL COUNT             # same, in one process (python3-rbd): ~100x faster
#   bash bench/topology-seed.sh clean                            # removes every swy-bulk-* image of the lab
#   bash bench/topology-seed.sh fast-clean                       # same, in one process per site (python3-rbd)
#   bash bench/topology-seed.sh count                            # images per site/pool
# Uses the lab's own confs and admin keyrings (SWITCHYARD_LAB_DIR), runs `rbd create` 6 at a time (each is
# ~0.2 s, mostly waiting on the OSD), and skips names that already exist, so it can be re-run to grow N.
set -euo pipefail
LAB=${SWITCHYARD_LAB_DIR:?set SWITCHYARD_LAB_DIR}
LAB=${LAB%/}
P=${SEED_PARALLEL:-6}

rbdc() {
  local site=$1
  shift
  rbd -c "$LAB/ceph/$site.conf" --keyring "$LAB/ceph/$site.client.admin.keyring" --client-mount-timeout 30 "$@"
}

case ${1:-} in
  seed)
    site=$2 pool=$3 count=$4 kind=${5:-plain}
    feat=layering
    [[ $kind == journal ]] && feat=layering,exclusive-lock,journaling
    have=$(rbdc "$site" ls "$pool" | grep -c '^swy-bulk-' || true)
    echo "$site/$pool: $have swy-bulk images, want $count ($feat)"
    t0=$(date +%s)
    seq "$have" $((count - 1)) | sed "s/^/swy-bulk-$pool-/" |
      xargs -r -P "$P" -I{} rbd -c "$LAB/ceph/$site.conf" --keyring "$LAB/ceph/$site.client.admin.keyring" \
        create --size 1M --image-feature "$feat" "$pool/{}"
    echo "$site/$pool: created $((count - have > 0 ? count - have : 0)) in $(($(date +%s) - t0)) s"
    ;;
  fast)
    # One cluster connection creating every image in turn: `rbd create` per image is a process start and a
    # cluster connect each (~0.2 s quiet, 1-2 s at load 20), which made a 10k-image lab an hour's work.
    site=$2 pool=$3 count=$4
    /usr/bin/python3 - "$LAB/ceph/$site.conf" "$LAB/ceph/$site.client.admin.keyring" "$pool" "$count" "$site" <<'PY'
import sys, time, rados, rbd
conf, keyring, pool, count, site = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
t0 = time.time()
with rados.Rados(conffile=conf, conf={"keyring": keyring}) as cluster:
    with cluster.open_ioctx(pool) as io:
        have = set(n for n in rbd.RBD().list(io) if n.startswith("swy-bulk-"))
        made = 0
        for i in range(count):
            name = f"swy-bulk-{pool}-{i}"
            if name in have:
                continue
            rbd.RBD().create(io, name, 1 << 20, old_format=False, features=rbd.RBD_FEATURE_LAYERING)
            made += 1
print(f"{site}/{pool}: created {made} (had {len(have)}) in {time.time() - t0:.0f} s")
PY
    ;;
  fast-clean)
    for site in site-a site-b; do
      /usr/bin/python3 - "$LAB/ceph/$site.conf" "$LAB/ceph/$site.client.admin.keyring" "$site" <<'PY' &
import sys, time, rados, rbd
conf, keyring, site = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.time()
with rados.Rados(conffile=conf, conf={"keyring": keyring}) as cluster:
    for pool in ("images", "volumes", "vms"):
        with cluster.open_ioctx(pool) as io:
            names = [n for n in rbd.RBD().list(io) if n.startswith("swy-bulk-")]
            # rbd.remove opens the image and waits on the OSD: 8 at a time (librbd calls release the GIL).
            from concurrent.futures import ThreadPoolExecutor
            def rm(n):
                try:
                    rbd.RBD().remove(io, n)
                    return 0
                except rbd.Error:
                    return 1  # busy (a client that just went away still watches it) or gone: re-run to finish
            with ThreadPoolExecutor(8) as ex:
                left = sum(ex.map(rm, names))
            if left:
                print(f"{site}/{pool}: {left} busy or gone, re-run fast-clean", flush=True)
            print(f"{site}/{pool}: removed {len(names) - left} in {time.time() - t0:.0f} s", flush=True)
PY
    done
    wait
    ;;
  clean)
    for site in site-a site-b; do
      for pool in images volumes vms; do
        rbdc "$site" ls "$pool" | grep '^swy-bulk-' |
          xargs -r -P "$P" -I{} rbd -c "$LAB/ceph/$site.conf" --keyring "$LAB/ceph/$site.client.admin.keyring" \
            rm --no-progress "$pool/{}" || true
      done
    done
    ;;
  count)
    for site in site-a site-b; do
      for pool in images volumes vms; do
        printf '%s/%s %s\n' "$site" "$pool" "$(rbdc "$site" ls "$pool" | wc -l)"
      done
    done
    ;;
  *)
    sed -n 2,6p "$0"
    exit 2
    ;;
esac
