"""What every painter shares.

`common` (colours, avatars, ticks, fonts, the caches the painters keep, and the
item panel of a member row: used by the delegates, the message search and both
member lists) and `roles` (the item-data roles of the message and conversation
models, which their delegates read). This file imports nothing.
"""
