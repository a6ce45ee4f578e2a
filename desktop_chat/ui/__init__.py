"""The desktop app's user interface (PySide6 + qasync): what a person sees, and where.

The session, and the window around everything:
- `session`: sign in (or resume), the window, the dialogs opened from it, sign
  out and quit (`AppSession`, `run_app`);
- `main_window`: the main window, its menu, the status line, the tray icon and
  the unread total in the title; `x11_visibility` tells it when the window is
  fully covered; `desktop_notify` shows its notifications (the freedesktop
  service over D-Bus, else the tray balloon) and mutes them for an hour;
- `single_instance`: one running app per data directory (a lock file, and a
  local socket over which a second launch asks the first to raise its window);
- `excepthook` (an error nobody caught, said in words) and `gui_gc` (Python's
  garbage collector, on the GUI thread only).

The conversation list (the window's left pane), `conversations/`:
- `chat_list`: the search box over the list, and moving through it by keyboard;
- `conversation_model`: one row per chat, newest first, with the unread badge;
- `conversation_delegate`: how a conversation row looks.

The chat view (the open chat), `chat/`:
- `chat_view`: the header, the message list (`message_list`) and the composer;
- `composer` (where a person writes), `composer_bar` (replying to, editing) and
  `jump_button` ("jump to newest" with the unread count);
- `message_model`: the open chat's messages (both list models share
  `coalesced_model`, here at the top: rows found through a dict, repaints
  flushed once per event-loop iteration with the roles that changed);
  `message_delegate` and `message_layout`: how a message row looks and is
  measured; `message_editor`: a message's text opened for selecting;
  `message_menu`: a message's menu; `message_search`: the message search panel.

Dialogs, `dialogs/`:
- `forms`: sign-in, new chat and new group, and their local checks;
- `settings`: receipts, when a message counts as read, notifications, starting
  on login.

The read-by view: `read_by/`, who read one group message and who has not
(its dialog, lists, model, row painting, read times and CSV export).

Group info: `group_info/`, a group's members and roles and managing them (its
dialog, member list, model, row painting, the role rules and the question
before removing someone or leaving).

Painting, `painting/`: `common` (colours, avatars, ticks, fonts, the caches the
painters keep, and the item panel of a member row; shared by the delegates, the
message search and both member lists) and `roles` (the item-data roles of the
message and conversation models, which their delegates read).

The controller: `controller` wires one signed-in client to its window;
`group_views` is its group side (the read-by view, group info) and
`message_actions` what a person does to a message, both parts of it that name
what they use of it through `controller_host`; `read_tracker` decides when a
message was really read, and the controller hands that to the client's
`ChatManager.mark_read`.

Plain values: `settings` (the app's settings and their file) and `wording`
(what the app says when something goes wrong).

Only this package imports Qt (besides the client's Qt bridge, the app, the demo
and the UI bench). This file imports nothing, so importing
`desktop_chat.ui.settings` or `desktop_chat.ui.wording` stays free of Qt.
"""
