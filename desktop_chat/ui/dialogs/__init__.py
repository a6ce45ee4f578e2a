"""The app's dialogs: `forms` (sign-in, new chat, new group, their local checks and
the small label helpers other dialogs use) and `settings` (receipts, when a message
counts as read, notifications). The read-by view and group info are packages of
their own (`ui.read_by`, `ui.group_info`). This file imports nothing.
"""
