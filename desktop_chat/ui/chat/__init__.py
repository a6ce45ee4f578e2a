"""The open chat, as a person sees it: the view, its messages, the composer.

`chat_view` (the header, the message list and the composer), `message_list` (the
list view), `message_model` (the open chat's messages), `message_delegate` and
`message_layout` (how a message row looks and is measured), `message_editor` (a
message's text opened for selecting), `message_menu` (a message's menu),
`composer` and `composer_bar` (writing, replying to, editing), `jump_button`
("jump to newest" with the unread count) and `message_search` (the search panel).
This file imports nothing.
"""
