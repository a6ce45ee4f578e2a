"""The app's resources (icons, the freedesktop .desktop file and AppStream metainfo, the
compiled translations), shipped in the wheel as package data; `desktop_chat.appdata`
finds them. No code lives here."""
