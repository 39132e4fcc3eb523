#!/usr/bin/env bash
# Installs the Debian packages the tests need (browser, X server for Electron e2e, Secret Service for keychain tests).
# As root with apt-get: installs what is missing. Otherwise: prints the exact command and fails.
set -euo pipefail

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd chromium || need+=(chromium)
have_cmd xvfb-run || need+=(xvfb xauth)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
# CPU-share bench compares our duty cycle with Debian's cpulimit on the same workload.
have_cmd cpulimit || need+=(cpulimit)
# Input give-back test and bench: synthetic key presses and pointer moves on a private X server.
have_cmd Xvfb || need+=(xvfb)
have_cmd xdotool || need+=(xdotool)
# OS keychain tests: a real Secret Service (gnome-keyring) on a private D-Bus session.
have_cmd gnome-keyring-daemon || need+=(gnome-keyring)
have_cmd dbus-run-session || need+=(dbus-daemon)
ldconfig -p 2>/dev/null | grep -q libsecret-1.so.0 || need+=(libsecret-1-0)
# Native hardware probe (node-gyp) and the fake driver libraries its tests compile.
{ have_cmd cc && have_cmd c++ && have_cmd make; } || need+=(build-essential)
have_cmd python3 || need+=(python3)
# Fleet broker path tests: a real MQTT broker (Debian installs it in /usr/sbin, often not on a user's PATH).
{ have_cmd mosquitto || [ -x /usr/sbin/mosquitto ]; } || need+=(mosquitto)
# GPU names from the PCI ID database (pci.ids), which the hardware tests read where the system has it.
[ -f /usr/share/misc/pci.ids ] || [ -f /usr/share/hwdata/pci.ids ] || need+=(hwdata)

if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: all present"
  exit 0
fi

if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
  echo "system-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "system-deps: installed ${need[*]}"
else
  echo "system-deps: missing packages; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
