#!/bin/sh
# The main job, end to end, as the README's quick start runs it: installs
# the Debian packages, builds, starts a hub on its embedded defaults (SQLite,
# a local git repository, a generated certificate) with the account-manager
# model published, lets an HR officer, a line manager and a trainer work
# offline on their own laptops (roster, an assessment, coaching notes, a
# pilot CSV), syncs them all over verified HTTPS, prints the merged result
# (a person's gap report and the team's state) and stops the hub.
# Options: --no-install (skip apt-get). LADDER_DEMO_DIR: where the hub and
# the laptops live (default: a new temporary directory, removed at the end
# unless LADDER_DEMO_KEEP=1).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
install=1
for arg in "$@"; do
    case $arg in
    --no-install) install=0 ;;
    *) echo "usage: scripts/demo.sh [--no-install]" >&2; exit 2 ;;
    esac
done

step() { printf '\n== %s\n' "$*"; }

[ "$install" = 1 ] && ./scripts/install-deps.sh
step "build"
cmake -S . -B build -DLADDER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target ladder ladder-hub >/dev/null
ladder=$top/build/agent/ladder
hub_bin=$top/build/hub/ladder-hub

work=${LADDER_DEMO_DIR:-$(mktemp -d /tmp/ladder-demo-XXXXXX)}
mkdir -p "$work"
hub=$work/hub
hub_pid=
finish() {
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
    [ "${LADDER_DEMO_KEEP:-0}" = 1 ] || [ -n "${LADDER_DEMO_DIR:-}" ] || rm -rf "$work"
}
trap finish EXIT INT TERM

step "hub: a data directory with its database, model repository and CA"
"$hub_bin" init "$hub"
ca=$hub/tls/ca.pem

step "hub: HR publishes the account-manager model (a git commit, tag v1)"
"$hub_bin" model publish "$hub" schema/models/account-manager.json \
    --author "周敏 <hr.zhou@example.com>" \
    --message "客户经理胜任力模型 v1（来自试点方案）" --tag v1

step "hub: tokens for the HR officer, the line manager and the trainer"
token() { # principal role scope
    "$hub_bin" token add "$hub" --principal "$1" --role "$2" --scope "$3" |
        grep -o 'ldr_[A-Za-z0-9_-]*' | head -n 1
}
hr_token=$(token hr.zhou hr north,south)
manager_token=$(token li.wei assessor north)
trainer_token=$(token zhang.min trainer north)
echo "three tokens made (shown once by 'ladder-hub token add', kept hashed)"

step "hub: serving HTTPS on 127.0.0.1 (port chosen by the system)"
"$hub_bin" serve "$hub" --listen 127.0.0.1:0 >"$work/hub.out" 2>"$work/hub.log" &
hub_pid=$!
url=
for _ in $(seq 1 100); do
    url=$(grep -o 'https://127\.0\.0\.1:[0-9]*' "$work/hub.out" "$work/hub.log" 2>/dev/null | head -n 1 | cut -d: -f2-)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "demo: the hub did not start:" >&2; cat "$work/hub.log" >&2; exit 1; }
echo "hub at $url"

# `on LAPTOP ARGS...` runs ladder on that laptop's database.
on() { db=$work/$1.db; shift; "$ladder" --db "$db" "$@"; }
laptop() { # name user token
    printf '%s\n' "$3" | on "$1" init --user "$2" --hub "$url" --token - --cacert "$ca" >/dev/null
    on "$1" sync
}

step "HR laptop (hr.zhou): the roster of unit north, synced"
laptop hr hr.zhou "$hr_token"
on hr person add --id E1001 --name 王芳 --unit north --grade am2
on hr person add --id E1002 --name 张伟 --unit north --grade am1
on hr person add --id E1003 --name 李娜 --unit north --grade am1
on hr sync

step "manager laptop (li.wei) and trainer laptop (zhang.min): first sync"
laptop manager li.wei "$manager_token"
laptop trainer zhang.min "$trainer_token"

step "offline: li.wei assesses 王芳 against grade am3 and writes a coaching note"
id=$(on manager assess new --subject E1001 --model account-manager --grade am3)
on manager assess rate "$id" relationship-maintenance 3 --evidence "季度回访记录完整，客户满意度 92%" >/dev/null
on manager assess rate "$id" key-person-relationship 2 --evidence "与采购负责人建立联系，尚未覆盖决策层" >/dev/null
on manager assess rate "$id" customer-retention 3 --evidence "续约率 95%" >/dev/null
on manager assess rate "$id" needs-insight 2 >/dev/null
on manager assess rate "$id" solution-selling 2 --evidence "两次方案演示，一次成单" >/dev/null
on manager assess rate "$id" value-selling 1 >/dev/null
on manager assess perf "$id" 82 >/dev/null
on manager assess submit "$id"
on manager note add --subject E1001 --due 2026-12-10 "下周陪访重点客户，练习价值呈现"

step "offline: zhang.min imports the pilot results of 张伟 and 李娜 (CSV)"
cat >"$work/pilot.csv" <<'EOF'
subject,assessor,grade,performance,relationship-maintenance,evidence:relationship-maintenance,customer-retention,needs-insight,value-selling
E1002,zhang.min,am2,71,2,"回访及时，记录规范",2,1,1
E1003,zhang.min,am2,64,1,,2,2,1
EOF
on trainer pilot import "$work/pilot.csv" --pilot "2026-Q4 北区试点"
on trainer note add --subject E1002 "试点后补训：需求洞察"

step "everyone syncs (twice round, so each sees the others' work)"
for round in 1 2; do
    for who in manager trainer hr; do
        printf '%s: ' "$who"
        on "$who" sync
    done
done

step "the three laptops hold the same records"
on hr export >"$work/hr.json"
on manager export >"$work/manager.json"
on trainer export >"$work/trainer.json"
if cmp -s "$work/hr.json" "$work/manager.json" && cmp -s "$work/hr.json" "$work/trainer.json"; then
    echo "identical: $(grep -c '"kind"' "$work/hr.json") records on each laptop"
else
    echo "demo: the laptops differ after syncing" >&2
    exit 1
fi

step "gap report and learning map of 王芳 (E1001) for am3, on the HR laptop"
on hr gap E1001 --grade am3

step "team north: roster, assessments and certification for am2"
on hr person list --unit north
echo
on hr assess list
echo
for p in E1001 E1002 E1003; do
    echo
    on hr certify "$p" --grade am2 | grep -E '^(E[0-9]|scores|eligible|not eligible)'
done

step "HR laptop status"
on hr status

step "stopping the hub"
kill "$hub_pid"
wait "$hub_pid" 2>/dev/null || true
hub_pid=
echo "hub log: $(wc -l <"$work/hub.log") requests logged as JSON lines"
echo "done"
