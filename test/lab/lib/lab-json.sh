# shellcheck shell=bash
# Writes $LAB_DIR/lab.json: the machine-readable description of the lab for tests and the console.
# Cluster facts (fsid, pools, mirror modes) are read back from the running clusters, not assumed.

lab_json_cluster() {
  local site=$1 ip=${LAB_SITE_IP[$1]} pools_json='[]' pool mode names fsid
  fsid=$(<"$(site_dir "$site")/fsid")
  # rados (C++) answers in ~0.05 s where the python ceph CLI takes 0.3-1 s; skip ceph's internal pools.
  # (grep exits 1 on a cluster with no pools of its own, e.g. site-b in the migration profile: not an error.)
  if names=$(timeout 30 rados -c "$(lab_conf "$site")" --client-mount-timeout 10 lspools); then
    names=$(grep -vxE 'device_health_metrics|\..*' <<<"$names" || true)
    for pool in $names; do
      mode=$(srbd "$site" mirror pool info "$pool" --format json | jq -r '.mode') || mode=unknown
      pools_json=$(jq -c --arg n "$pool" --arg m "$mode" '. + [{name: $n, mirrorMode: $m}]' <<<"$pools_json")
    done
  else
    warn "$site unreachable while writing lab.json: pools left empty"
  fi
  jq -n --arg name "$site" --arg fsid "$fsid" --arg mon "$ip" --arg conf "$(lab_conf "$site")" \
    --arg keyring "$(lab_admin_keyring "$site")" --argjson pools "$pools_json" \
    --arg sched "$LAB_SNAPSHOT_SCHEDULE" --argjson mirror "$([[ $PROFILE == default ]] && echo true || echo false)" \
    '{name: $name, fsid: $fsid, monAddr: ("[v2:" + $mon + ":3300,v1:" + $mon + ":6789]"), monIp: $mon,
      confPath: $conf, keyringPath: $keyring, pools: $pools, rbdMirrorExpected: $mirror,
      snapshotSchedule: (if $mirror then {pool: "images", interval: $sched} else null end)}'
}

lab_json_host() {
  local name=$1
  jq -n --arg name "$name" --arg site "${LAB_HOST_SITE[$name]}" --arg role "${LAB_HOST_ROLE[$name]}" \
    --arg addr "${LAB_HOST_IP[$name]}" --argjson port "$LAB_SSH_PORT" --arg user "$LAB_OPERATOR" \
    --arg key "$LAB_SSH_DIR/operator_ed25519" --arg pw "$LAB_SSH_DIR/operator.password" \
    --arg fp "$(host_fingerprint "$name")" \
    '{name: $name, site: (if $site == "" then null else $site end), role: $role, address: $addr, port: $port,
      user: $user, privateKeyPath: $key, passwordPath: $pw, hostKeyFingerprintSHA256: $fp}'
}

lab_json_write() {
  local hosts='[]' clusters='[]' name site
  for name in "${LAB_HOSTS[@]}"; do
    hosts=$(jq -c --argjson h "$(lab_json_host "$name")" '. + [$h]' <<<"$hosts")
  done
  local tmp
  tmp=$(mktemp -d "$LAB_RUN_DIR/lab-json.XXXXXX")
  # Wait on these pids only: a bare `wait` would also wait for daemons this shell started (rbd-mirror).
  local pids=() pid
  for site in "${LAB_SITES[@]}"; do
    lab_json_cluster "$site" >"$tmp/$site.json" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for site in "${LAB_SITES[@]}"; do
    clusters=$(jq -c --slurpfile c "$tmp/$site.json" '. + $c' <<<"$clusters")
  done
  rm -rf "$tmp"
  jq -n --arg profile "$PROFILE" --arg net "$NET" --arg dir "$LAB_DIR" --argjson hosts "$hosts" \
    --argjson clusters "$clusters" --arg kh "$LAB_SSH_DIR/known_hosts" --arg sc "$LAB_SSH_DIR/ssh_config" \
    --arg os "$LAB_DIR/openstack.json" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{version: 1, generatedAt: $at, profile: $profile, net: $net, labDir: $dir, knownHostsPath: $kh,
      sshConfigPath: $sc, hosts: $hosts, clusters: $clusters, openstackPath: $os}' >"$LAB_DIR/lab.json.tmp"
  chmod 0644 "$LAB_DIR/lab.json.tmp"
  mv "$LAB_DIR/lab.json.tmp" "$LAB_DIR/lab.json"
}
