#!/usr/bin/env bash
# Run a command in a new network namespace that has only the loopback interface, so that
# nothing it starts (notebook kernels included) can reach the network. tests/test_offline.py
# checks, from inside, that the isolation is real.
# If namespaces are not available (no `unshare`, or no permission), the command runs normally
# and DLIMITS_OFFLINE is left unset: the offline test then fails under CI and is skipped elsewhere.
set -u
if command -v unshare >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then flags=(--net); else flags=(--net --map-root-user); fi
  if unshare "${flags[@]}" true 2>/dev/null; then
    exec unshare "${flags[@]}" env DLIMITS_OFFLINE=1 bash -c '
      if command -v ip >/dev/null 2>&1; then ip link set lo up; else
        python3 - <<PY
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
req = struct.pack("16sH", b"lo", 0)
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, req))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
PY
      fi
      exec "$@"' offline "$@"
  fi
fi
echo "tests/offline.sh: network namespaces are not available here; running WITHOUT network isolation." >&2
exec "$@"
