"""The conversation list, the window's left pane.

`chat_list` (the search box over the list, moving through it by keyboard),
`conversation_model` (one row per chat, newest first, with the unread badge) and
`conversation_delegate` (how a conversation row looks). This file imports nothing.
"""
