#!/bin/sh
# Put skintrack in the desktop's application menu (for this user only; nothing needs root).
# Run it from the unpacked bundle folder: ./install-desktop-entry.sh
# Undo: rm ~/.local/share/applications/skintrack.desktop ~/.local/share/icons/hicolor/256x256/apps/skintrack.png
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/skintrack.png" "$icons/skintrack.png"
# The menu entry starts this folder's program, wherever the folder was unpacked.
sed "s|^Exec=skintrack app|Exec=\"$here/skintrack\" app|" "$here/skintrack.desktop" > "$apps/skintrack.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "skintrack is in your applications menu (the entry is $apps/skintrack.desktop)"
