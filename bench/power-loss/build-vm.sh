#!/usr/bin/env bash
# Builds what bench:power-loss boots: Debian's kernel and an initramfs holding busybox, the kernel modules for virtio
# and ext4, this machine's Node and the built server with its production dependencies. Everything comes from Debian's
# packages (installed when missing and root, like the browser tests) and from this checkout. Output: $OUT/vmlinuz,
# $OUT/initramfs.cpio. Takes about 20 s; reused while the server build and node do not change.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${POWER_LOSS_DIR:-${TMPDIR:-/tmp}/cartable-power-loss}"
mkdir -p "$OUT"

need() { command -v "$1" >/dev/null 2>&1; }
PACKAGES="qemu-system-x86 busybox-static e2fsprogs kmod cpio"
if ! need qemu-system-x86_64 || ! need busybox || ! need mkfs.ext4 || ! need modinfo || ! need cpio; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $PACKAGES >/dev/null ||
      { apt-get update >/dev/null && apt-get install -y --no-install-recommends $PACKAGES >/dev/null; }
  else
    echo "bench:power-loss needs $PACKAGES: apt-get install them as root" >&2
    exit 1
  fi
fi

# Debian's kernel, unpacked (not installed: no initramfs-tools, no bootloader on this machine).
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KPKG" ] || { apt-get update >/dev/null; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'); }
KVER=${KPKG#linux-image-}
if [ ! -f "$OUT/kernel/boot/vmlinuz-$KVER" ]; then
  rm -rf "$OUT/kernel" && mkdir -p "$OUT/kernel"
  (cd "$OUT" && apt-get download "$KPKG" >/dev/null 2>&1 && dpkg-deb -x "$KPKG"_*.deb kernel && rm -f "$KPKG"_*.deb)
fi
cp "$OUT/kernel/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
MODS="$OUT/kernel/lib/modules/$KVER"

ROOT="$OUT/root"
rm -rf "$ROOT" && mkdir -p "$ROOT"/{bin,dev,proc,sys,data,tmp,modules,app,etc}
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for tool in sh mount umount insmod ip sleep cat echo sync poweroff mkdir ls; do ln -s busybox "$ROOT/bin/$tool"; done

# The modules, in the order their dependencies need (modinfo says what each depends on).
order=()
add() {
  local name=$1 file dep
  for done in "${order[@]:-}"; do [ "$done" = "$name" ] && return; done
  file=$(find "$MODS" -name "$name.ko" | head -1)
  [ -n "$file" ] || return 0 # built in
  local deps
  deps=$(modinfo -F depends "$file")
  for dep in ${deps//,/ }; do add "$dep"; done
  order+=("$name")
  cp "$file" "$ROOT/modules/"
}
for m in virtio_pci virtio_blk virtio_net ext4 crc32c_generic; do add "$m"; done
printf '%s\n' "${order[@]}" >"$ROOT/modules/order"

# Node and the libraries it links, at the same paths; the server and its production dependencies.
NODE=$(command -v node)
mkdir -p "$ROOT$(dirname "$NODE")"
cp "$NODE" "$ROOT$NODE"
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib"; done
cp -r dist/server package.json "$ROOT/app/"
mkdir -p "$ROOT/app/dist" && mv "$ROOT/app/server" "$ROOT/app/dist/server"
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | while read -r dir; do
  rel=${dir#"$PWD"/}
  mkdir -p "$ROOT/app/$(dirname "$rel")"
  [ -e "$ROOT/app/$rel" ] || cp -r "$dir" "$ROOT/app/$rel"
done

cat >"$ROOT/init" <<'INIT'
#!/bin/sh
# Cartable's power-loss VM: modules, the data disk, the network, then the server (its output on the console).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko; done
sleep 0.3
mount -t ext4 /dev/vda /data
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
SYNC=$(cat /proc/cmdline | sed -n 's/.*cartable_sync=\([A-Z_]*\).*/\1/p')
echo "cartable-vm: starting the server (synchronous ${SYNC:-FULL})"
cd /app
HOST=0.0.0.0 PORT=8080 DATA_DIR=/data CLIENT_DIR=/nonexistent LOG_LEVEL=warn MAX_EVENT_LOOP_DELAY_MS=0 \
  MAX_SIGN_INS_PER_SECOND=0 SQLITE_SYNCHRONOUS=${SYNC:-FULL} node dist/server/main.js
echo "cartable-vm: server exited"
sync
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet >"$OUT/initramfs.cpio")
echo "$OUT"
