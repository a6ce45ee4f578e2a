"""The open chat, as a person sees it: the view, its messages, the composer.

`chat_view` (the header, the message list and the composer), `message_list` (the
list view), `message_model` (the open chat's messages), `message_delegate` and
`message_layout` (how a message row looks and is measured), `message_editor` (a
message's text opened for selecting), `message_menu` (a message's menu),
`composer` and `composer_bar` (writing, replying to, editing), `receipts_toggle`
(the composer's "Ask for read receipts", full or compact), `jump_button`
("jump to newest" with the unread count), `message_search` (the search panel),
`visibility` (how much of each bubble is seen), `message_row` (a row as the
delegate reads it), and files and pictures: `attach` (the paperclip, drops, paste
and the preview), `attachment_view` (what a row's attachment is, and its words),
`attachment_layout` and `attachment_art` (where and how it is drawn) and
`image_viewer`. This file imports nothing.
"""
