# Atrium's seal step for Linux guests, run as root through the QEMU guest agent (guest-exec of /bin/sh -c) in a
# draft before it becomes a version: whatever makes a machine this machine is removed, so that every clone and
# every cold boot of the version starts as a new machine. Each step prints what it did.
set -u
say() { echo "seal: $*"; }
if [ -s /etc/machine-id ]; then
    : > /etc/machine-id
    say "machine-id emptied (systemd makes a new one at the next boot)"
fi
if [ -e /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then
    rm -f /var/lib/dbus/machine-id
    say "dbus machine-id removed"
fi
if [ -s /etc/hostname ] && [ "$(cat /etc/hostname)" != localhost ]; then
    echo localhost > /etc/hostname
    say "hostname reset to localhost (each machine gets its own: cloud-init, or the guest agent for a clone)"
fi
for key in /etc/ssh/ssh_host_*; do
    [ -e "$key" ] || continue
    rm -f "$key"
    say "SSH host key $(basename "$key") removed"
done
if command -v cloud-init >/dev/null 2>&1; then
    cloud-init clean --logs >/dev/null 2>&1 && say "cloud-init clean --logs"
fi
for dir in /var/lib/cloud/instances /var/lib/cloud/instance /var/lib/cloud/data /var/lib/cloud/sem; do
    if [ -e "$dir" ]; then
        rm -rf "$dir"
        say "cloud-init state $dir removed"
    fi
done
for lease in /var/lib/dhcp/*.leases /var/lib/dhcp/dhclient* /var/lib/NetworkManager/*.lease \
        /var/lib/NetworkManager/dhclient-* /var/lib/systemd/network/* /var/lib/udhcpc/*; do
    [ -e "$lease" ] || continue
    rm -rf "$lease"
    say "DHCP lease $lease removed"
done
rm -f /var/lib/systemd/random-seed /root/.bash_history /root/.ash_history 2>/dev/null
sync
say "file systems synced"
