<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>ChatView</name>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="119" />
            <source>Write a message…</source>
            <translation>输入消息…</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="120" />
            <source>Enter sends; Shift+Enter starts a new line</source>
            <translation>按 Enter 发送，Shift+Enter 换行</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="142" />
            <source>Ask for read receipts</source>
            <translation>请求已读回执</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="144" />
            <source>Members' read acks show as “Read n/m” on the message</source>
            <translation>成员的已读回执会在消息上显示为“已读 n/m”</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="147" />
            <location filename="../../ui/chat/chat_view.py" line="314" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="151" />
            <source>Members…</source>
            <translation>群成员…</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="152" />
            <source>See the group's members and roles</source>
            <translation>查看群成员及其身份</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="155" />
            <location filename="../../ui/chat/chat_view.py" line="320" />
            <source>Mute</source>
            <translation>免打扰</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="157" />
            <location filename="../../ui/chat/chat_view.py" line="324" />
            <source>Mute notifications (unread messages still count)</source>
            <translation>消息免打扰（仍会计入未读）</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="301" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="320" />
            <source>Unmute</source>
            <translation>取消免打扰</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="322" />
            <source>Turn notifications back on</source>
            <translation>重新开启消息通知</translation>
        </message>
        <message>
            <location filename="../../ui/chat/chat_view.py" line="329" />
            <source>%1 is typing…</source>
            <translation>%1 正在输入…</translation>
        </message>
    </context>
    <context>
        <name>Composer</name>
        <message>
            <location filename="../../ui/chat/composer.py" line="34" />
            <source>Message to send</source>
            <translation>要发送的消息</translation>
        </message>
    </context>
    <context>
        <name>ComposerBar</name>
        <message>
            <location filename="../../ui/chat/composer_bar.py" line="38" />
            <source>Cancel (Esc)</source>
            <translation>取消 (Esc)</translation>
        </message>
        <message>
            <location filename="../../ui/chat/composer_bar.py" line="40" />
            <source>Cancel the reply or the edit</source>
            <translation>取消回复或编辑</translation>
        </message>
        <message>
            <location filename="../../ui/chat/composer_bar.py" line="54" />
            <source>Replying to %1: %2</source>
            <translation>回复 %1：%2</translation>
        </message>
        <message>
            <location filename="../../ui/chat/composer_bar.py" line="63" />
            <source>Editing — Enter saves, Esc cancels</source>
            <translation>正在编辑 — 按 Enter 保存，Esc 取消</translation>
        </message>
    </context>
    <context>
        <name>Dates</name>
        <message>
            <location filename="../../ui/painting/common.py" line="128" />
            <source>d MMM</source>
            <translation>M月d日</translation>
        </message>
        <message>
            <location filename="../../ui/painting/common.py" line="129" />
            <source>dd.MM.yyyy</source>
            <translation>yyyy/M/d</translation>
        </message>
        <message>
            <location filename="../../ui/painting/common.py" line="144" />
            <source>Today</source>
            <translation>今天</translation>
        </message>
        <message>
            <location filename="../../ui/painting/common.py" line="146" />
            <source>Yesterday</source>
            <translation>昨天</translation>
        </message>
        <message>
            <location filename="../../ui/painting/common.py" line="148" />
            <source>d MMMM</source>
            <translation>M月d日</translation>
        </message>
        <message>
            <location filename="../../ui/painting/common.py" line="149" />
            <source>d MMMM yyyy</source>
            <translation>yyyy年M月d日</translation>
        </message>
    </context>
    <context>
        <name>GroupBadges</name>
        <message>
            <location filename="../../ui/group_info/model.py" line="37" />
            <source>Owner</source>
            <translation>群主</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/model.py" line="38" />
            <source>Admin</source>
            <translation>管理员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/model.py" line="40" />
            <source>Member</source>
            <translation>成员</translation>
        </message>
    </context>
    <context>
        <name>GroupInfoDialog</name>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="133" />
            <source>Who may ask for read receipts</source>
            <translation>谁可以请求已读回执</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="141" />
            <source>Who may ask for read receipts:</source>
            <translation>谁可以请求已读回执：</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="156" />
            <source>Everyone can send read receipts; this decides who may ask for them.</source>
            <translation>所有人都可以发送已读回执；此项决定谁可以请求回执。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="164" />
            <source>Add people: alice, bob</source>
            <translation>添加成员：alice, bob</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="166" />
            <source>People to add</source>
            <translation>要添加的成员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="170" />
            <source>Add</source>
            <translation>添加</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="174" />
            <location filename="../../ui/group_info/dialog.py" line="298" />
            <source>Make admin</source>
            <translation>设为管理员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="175" />
            <source>Remove from group</source>
            <translation>移出群聊</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="179" />
            <location filename="../../ui/group_info/dialog.py" line="378" />
            <source>Leave group</source>
            <translation>退出群聊</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="180" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="229" />
            <source>%1 · Group info</source>
            <translation>%1 · 群聊信息</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/group_info/dialog.py" line="233" />
            <source>%n member</source>
            <translation>
                <numerusform>%n 位成员</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/group_info/dialog.py" line="235" />
            <source>%n members</source>
            <translation>
                <numerusform>%n 位成员</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="250" />
            <source>You're no longer a member of this group.</source>
            <translation>你已不是该群成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="261" />
            <source>Saving…</source>
            <translation>正在保存…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="298" />
            <source>Remove admin</source>
            <translation>取消管理员</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/group_info/dialog.py" line="327" />
            <source>Adding %n member…</source>
            <translation>
                <numerusform>正在添加 %n 位成员…</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/group_info/dialog.py" line="329" />
            <source>Adding %n members…</source>
            <translation>
                <numerusform>正在添加 %n 位成员…</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="340" />
            <source>Making %1 an admin…</source>
            <translation>正在将 %1 设为管理员…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="342" />
            <source>Removing %1 as admin…</source>
            <translation>正在取消 %1 的管理员身份…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="349" />
            <source>Changing who may ask for read receipts…</source>
            <translation>正在更改谁可以请求已读回执…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="357" />
            <source>Remove %1 from %2?</source>
            <translation>将 %1 移出“%2”？</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="358" />
            <source>They will stop getting the group's messages. You can add them again later.</source>
            <translation>对方将不再收到本群消息。之后可以重新添加。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="359" />
            <source>Remove</source>
            <translation>移出</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="366" />
            <source>Removing %1…</source>
            <translation>正在移出 %1…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="373" />
            <source>Leave %1?</source>
            <translation>退出“%1”？</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="375" />
            <source>You will stop getting its messages. To come back, the owner or an admin has to add you again.</source>
            <translation>你将不再收到本群消息。如需重新加入，需由群主或管理员再次添加你。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/dialog.py" line="385" />
            <source>Leaving the group…</source>
            <translation>正在退出群聊…</translation>
        </message>
    </context>
    <context>
        <name>GroupMemberList</name>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="38" />
            <location filename="../../ui/group_info/member_list.py" line="40" />
            <source>Search members</source>
            <translation>搜索成员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="41" />
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="72" />
            <source>Members</source>
            <translation>群成员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="117" />
            <source>Loading members…</source>
            <translation>正在加载成员…</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="119" />
            <source>No member matches your search.</source>
            <translation>没有符合搜索条件的成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/member_list.py" line="121" />
            <source>Nobody is in this group.</source>
            <translation>该群暂无成员。</translation>
        </message>
    </context>
    <context>
        <name>GroupMemberModel</name>
        <message>
            <location filename="../../ui/group_info/model.py" line="90" />
            <source>%1 (you) · %2</source>
            <translation>%1（我）· %2</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/model.py" line="91" />
            <source>%1 · %2</source>
            <translation>%1 · %2</translation>
        </message>
    </context>
    <context>
        <name>GroupMemberPainter</name>
        <message>
            <location filename="../../ui/group_info/painting.py" line="39" />
            <source>  (you)</source>
            <translation>（我）</translation>
        </message>
    </context>
    <context>
        <name>GroupRules</name>
        <message>
            <location filename="../../ui/group_info/rules.py" line="32" />
            <source>Owner and admins</source>
            <translation>群主和管理员</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="33" />
            <source>Everyone</source>
            <translation>所有人</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="47" />
            <source>, </source>
            <comment>between names</comment>
            <translation>、</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="48" />
            <source>“%1”</source>
            <translation>“%1”</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="53" />
            <source>%1 and %n more</source>
            <translation>%1 等另外 %n 人</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="92" />
            <source>Enter the usernames to add, separated by commas or spaces.</source>
            <translation>请输入要添加的用户名，用逗号或空格分隔。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="97" />
            <source>“%1” isn't a valid username. %2</source>
            <translation>“%1”不是有效的用户名。%2</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="100" />
            <source>Not a valid username: %1. %2</source>
            <translation>无效的用户名：%1。%2</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="104" />
            <source>%1 is already a member. Enter someone who isn't in the group yet.</source>
            <translation>%1 已经是群成员。请输入尚未入群的人。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="108" />
            <source>%1 are already members. Enter someone who isn't in the group yet.</source>
            <translation>%1 已经是群成员。请输入尚未入群的人。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="118" />
            <location filename="../../ui/group_info/rules.py" line="134" />
            <source>Select a member first.</source>
            <translation>请先选择一位成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="120" />
            <source>The owner already manages the group.</source>
            <translation>群主已拥有全部管理权限。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="123" />
            <source>%1 will become a plain member.</source>
            <translation>%1 将成为普通成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="125" />
            <source>%1 will be able to add and remove members and ask for read receipts.</source>
            <translation>%1 将可以添加、移出成员并请求已读回执。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="136" />
            <source>The owner can't be removed.</source>
            <translation>不能移出群主。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="138" />
            <source>Only the owner can remove admins.</source>
            <translation>只有群主可以移出管理员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_info/rules.py" line="139" />
            <source>Remove %1 from %2.</source>
            <translation>将 %1 移出“%2”。</translation>
        </message>
    </context>
    <context>
        <name>JumpButton</name>
        <message>
            <location filename="../../ui/chat/jump_button.py" line="29" />
            <source>Jump to the newest message (Ctrl+End)</source>
            <translation>跳到最新消息 (Ctrl+End)</translation>
        </message>
        <message>
            <location filename="../../ui/chat/jump_button.py" line="30" />
            <source>Jump to the newest message</source>
            <translation>跳到最新消息</translation>
        </message>
    </context>
    <context>
        <name>MemberList</name>
        <message>
            <location filename="../../ui/read_by/member_list.py" line="73" />
            <source>No member matches your search.</source>
            <translation>没有符合搜索条件的成员。</translation>
        </message>
    </context>
    <context>
        <name>MemberListModel</name>
        <message>
            <source>Confirmed %1</source>
            <translation>确认于 %1</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/model.py" line="70" />
            <source>Read %1</source>
            <translation>已读于 %1</translation>
        </message>
    </context>
    <context>
        <name>MessageBubble</name>
        <message>
            <source>Confirmed</source>
            <translation>已确认</translation>
        </message>
        <message>
            <source>Confirmed · %1</source>
            <translation>已确认 · %1</translation>
        </message>
        <message>
            <source>Confirm</source>
            <translation>确认</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_layout.py" line="51" />
            <source>Read %1/%2</source>
            <translation>已读 %1/%2</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_layout.py" line="52" />
            <source>Read %1</source>
            <translation>%1 人已读</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_layout.py" line="223" />
            <source>edited</source>
            <translation>已编辑</translation>
        </message>
    </context>
    <context>
        <name>MessageList</name>
        <message>
            <location filename="../../ui/chat/message_list.py" line="62" />
            <source>Messages</source>
            <translation>消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_list.py" line="64" />
            <source>Arrows move between messages; Page Up and Page Down scroll</source>
            <translation>方向键在消息间移动；Page Up 和 Page Down 翻页</translation>
        </message>
    </context>
    <context>
        <name>MessageListModel</name>
        <message>
            <location filename="../../ui/chat/message_model.py" line="87" />
            <source>You recalled a message</source>
            <translation>你撤回了一条消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_model.py" line="89" />
            <source>%1 recalled a message</source>
            <translation>%1 撤回了一条消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_model.py" line="102" />
            <source>Recalled message</source>
            <translation>已撤回的消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_model.py" line="329" />
            <source>%n unread message</source>
            <translation>%n 条未读消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_model.py" line="330" />
            <source>%n unread messages</source>
            <translation>%n 条未读消息</translation>
        </message>
    </context>
    <context>
        <name>MessageMenu</name>
        <message>
            <source>Take it off the top of the group</source>
            <translation>不再在群聊顶部显示</translation>
        </message>
        <message>
            <source>Show it at the top of the group for every member</source>
            <translation>在群聊顶部向所有成员显示</translation>
        </message>
        <message>
            <source>Unpin</source>
            <translation>取消置顶</translation>
        </message>
        <message>
            <source>Pin</source>
            <translation>置顶</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="31" />
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="32" />
            <source>Reply</source>
            <translation>引用</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="33" />
            <source>Edit</source>
            <translation>编辑</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="34" />
            <source>Recall</source>
            <translation>撤回</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="35" />
            <source>Delete for me…</source>
            <translation>仅为我删除…</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="36" />
            <source>Info</source>
            <translation>消息详情</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="40" />
            <source>Take it back for everyone (within 2 minutes of sending)</source>
            <translation>为所有人撤回（发送后 2 分钟内）</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_menu.py" line="42" />
            <source>Remove it from this computer only</source>
            <translation>仅从这台电脑上删除</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>打开</translation>
        </message>
        <message>
            <source>Show in folder</source>
            <translation>在文件夹中显示</translation>
        </message>
        <message>
            <source>Save to Downloads</source>
            <translation>保存到“下载”</translation>
        </message>
    </context>
    <context>
        <name>MessageSearchDialog</name>
        <message>
            <location filename="../../ui/chat/message_search.py" line="105" />
            <location filename="../../ui/chat/message_search.py" line="112" />
            <source>Search messages</source>
            <translation>搜索消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="110" />
            <source>Search messages in all chats</source>
            <translation>在所有聊天中搜索消息</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="113" />
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="116" />
            <source>Messages found</source>
            <translation>搜索结果</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="120" />
            <location filename="../../ui/chat/message_search.py" line="157" />
            <source>Type a word to search your messages on this computer.</source>
            <translation>输入关键词，搜索这台电脑上的消息。</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="148" />
            <source>%1 %2</source>
            <comment>a day, then a time: Today 18:27</comment>
            <translation>%1 %2</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="152" />
            <source>%1: %2</source>
            <comment>who said it: the words</comment>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_search.py" line="159" />
            <source>No messages with “%1” on this computer.</source>
            <translation>这台电脑上没有包含“%1”的消息。</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/chat/message_search.py" line="161" />
            <source>%n message found</source>
            <translation>
                <numerusform>找到 %n 条消息</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/chat/message_search.py" line="163" />
            <source>%n messages found</source>
            <translation>
                <numerusform>找到 %n 条消息</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>MessageTextEditor</name>
        <message>
            <location filename="../../ui/chat/message_editor.py" line="22" />
            <source>Message text</source>
            <translation>消息内容</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_editor.py" line="33" />
            <source>Select text and press Ctrl+C to copy; Escape closes</source>
            <translation>选中文字后按 Ctrl+C 复制；按 Esc 关闭</translation>
        </message>
    </context>
    <context>
        <name>MessageTooltip</name>
        <message>
            <source>You confirmed it %1</source>
            <translation>你已于 %1 确认</translation>
        </message>
        <message>
            <source>Tell the sender you have read this, with a short note if you like</source>
            <translation>告诉发送者你已阅读，可附一句备注</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="30" />
            <source>Sending…</source>
            <translation>发送中…</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="32" />
            <source>Not sent — click to retry</source>
            <translation>发送失败 — 点击重试</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="36" />
            <source>Sent %1</source>
            <translation>已发送 %1</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="41" />
            <source>Delivered %1</source>
            <translation>已送达 %1</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="47" />
            <source>Read %1</source>
            <translation>已读 %1</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="54" />
            <source>Read by %1 of %2 members — click for details</source>
            <translation>%2 位成员中 %1 人已读 — 点击查看详情</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="59" />
            <source>Read by %n member — click for details</source>
            <translation>%n 人已读 — 点击查看详情</translation>
        </message>
        <message>
            <location filename="../../ui/chat/message_tooltips.py" line="63" />
            <source>Read by %n members — click for details</source>
            <translation>%n 人已读 — 点击查看详情</translation>
        </message>
    </context>
    <context>
        <name>ReadByDialog</name>
        <message>
            <source>%1 confirmed</source>
            <translation>%1 人已确认</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="101" />
            <source>Read by</source>
            <translation>已读详情</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="160" />
            <location filename="../../ui/read_by/dialog.py" line="162" />
            <source>Search members</source>
            <translation>搜索成员</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="163" />
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="166" />
            <source>Nobody has read this yet.</source>
            <translation>还没有人读过这条消息。</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="167" />
            <source>Loading who hasn't read it…</source>
            <translation>正在加载未读成员…</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="168" />
            <source>Members who read it</source>
            <translation>已读成员</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="169" />
            <source>Members who haven't read it</source>
            <translation>未读成员</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="172" />
            <source>Who read it</source>
            <translation>已读成员</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="178" />
            <source>Export CSV…</source>
            <translation>导出 CSV…</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="181" />
            <source>Save who read it and who hasn't as a spreadsheet file</source>
            <translation>将已读和未读成员保存为表格文件</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="183" />
            <location filename="../../ui/read_by/dialog.py" line="324" />
            <source>Remind the rest</source>
            <translation>提醒未读成员</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="187" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="265" />
            <source>Everyone has read it.</source>
            <translation>所有人都已读。</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="272" />
            <source>Reminded %n member.</source>
            <translation>
                <numerusform>已提醒 %n 位成员。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="274" />
            <source>Reminded %n members.</source>
            <translation>
                <numerusform>已提醒 %n 位成员。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="304" />
            <source>Read by %1 of %2</source>
            <translation>已读 %1/%2 人</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="306" />
            <source>Read by %1</source>
            <translation>%1 人已读</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="315" />
            <source>Read (%1)</source>
            <translation>已读 (%1)</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="318" />
            <source>Not read yet (%1)</source>
            <translation>未读 (%1)</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="320" />
            <source>Not read yet</source>
            <translation>未读</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="324" />
            <source>Reminding…</source>
            <translation>正在提醒…</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="327" />
            <source>Notify the %n member who hasn't read it</source>
            <translation>
                <numerusform>通知 %n 位未读成员</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="330" />
            <source>Notify the %n members who haven't read it</source>
            <translation>
                <numerusform>通知 %n 位未读成员</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="333" />
            <source>Everyone has read it</source>
            <translation>所有人都已读</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="362" />
            <source>Export read receipts</source>
            <translation>导出已读回执</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="365" />
            <source>CSV files (*.csv)</source>
            <translation>CSV 文件 (*.csv)</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/dialog.py" line="384" />
            <source>Couldn't save %1: %2. Choose another folder and try again.</source>
            <translation>无法保存 %1：%2。请选择其他文件夹后重试。</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="389" />
            <source>Saved %n member to %1.</source>
            <translation>
                <numerusform>已将 %n 位成员保存到 %1。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/read_by/dialog.py" line="391" />
            <source>Saved %n members to %1.</source>
            <translation>
                <numerusform>已将 %n 位成员保存到 %1。</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ReadTimes</name>
        <message>
            <location filename="../../ui/read_by/times.py" line="43" />
            <source>Today %1</source>
            <translation>今天 %1</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/times.py" line="45" />
            <source>Yesterday %1</source>
            <translation>昨天 %1</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/times.py" line="47" />
            <source>ddd HH:mm</source>
            <translation>ddd HH:mm</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/times.py" line="49" />
            <source>d MMM HH:mm</source>
            <translation>M月d日 HH:mm</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/times.py" line="50" />
            <source>d MMM yyyy HH:mm</source>
            <translation>yyyy年M月d日 HH:mm</translation>
        </message>
        <message>
            <location filename="../../ui/read_by/times.py" line="56" />
            <source>dddd, d MMMM yyyy 'at' HH:mm:ss</source>
            <translation>yyyy年M月d日 dddd HH:mm:ss</translation>
        </message>
    </context>
    <context>
        <name>AttachPreview</name>
        <message numerus="yes">
            <source>Send %n photos</source>
            <translation>
                <numerusform>发送 %n 张照片</numerusform>
            </translation>
        </message>
        <message>
            <source>Send a photo</source>
            <translation>发送一张照片</translation>
        </message>
        <message>
            <source>Send a file</source>
            <translation>发送文件</translation>
        </message>
        <message numerus="yes">
            <source>Send %n files</source>
            <translation>
                <numerusform>发送 %n 个文件</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>and %n more</source>
            <translation>
                <numerusform>以及另外 %n 个</numerusform>
            </translation>
        </message>
        <message>
            <source>Add a caption (optional)</source>
            <translation>添加说明（可选）</translation>
        </message>
        <message>
            <source>Caption</source>
            <translation>说明</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>发送</translation>
        </message>
    </context>
    <context>
        <name>Attacher</name>
        <message>
            <source>Attach a file or a photo (Ctrl+Shift+O)</source>
            <translation>添加文件或照片（Ctrl+Shift+O）</translation>
        </message>
        <message>
            <source>Attach a file</source>
            <translation>添加文件</translation>
        </message>
        <message>
            <source>Send files</source>
            <translation>发送文件</translation>
        </message>
        <message>
            <source>The pasted picture could not be saved ({error}). Save it as a file and attach that.</source>
            <translation>无法保存粘贴的图片（{error}）。请先将其另存为文件，再添加该文件。</translation>
        </message>
    </context>
    <context>
        <name>Attachment</name>
        <message>
            <source>Photo: %1</source>
            <translation>[图片] %1</translation>
        </message>
        <message>
            <source>Photo</source>
            <translation>[图片]</translation>
        </message>
        <message>
            <source>photo %1, %2 by %3</source>
            <translation>图片 %1，%2×%3</translation>
        </message>
        <message>
            <source>file %1, %2</source>
            <translation>文件 %1，%2</translation>
        </message>
    </context>
    <context>
        <name>ChatController</name>
        <message>
            <source>No application on this computer opened “{name}”. It is saved at {path}: open it from there, or install an application for this kind of file.</source>
            <translation>这台电脑上没有应用打开“{name}”。它已保存在 {path}：请从那里打开，或安装能打开这类文件的应用。</translation>
        </message>
        <message>
            <source>No file manager opened the folder. The file is at {path}.</source>
            <translation>没有文件管理器打开该文件夹。文件位于 {path}。</translation>
        </message>
        <message>
            <source>Could not load the reading progress.</source>
            <translation>无法加载阅读进度。</translation>
        </message>
        <message>
            <source>Could not send the file.</source>
            <translation>无法发送文件。</translation>
        </message>
        <message>
            <source>Could not save the file in {folder} ({error}). Free some space, then click it again.</source>
            <translation>无法将文件保存到 {folder}（{error}）。请腾出一些空间，然后再次点击。</translation>
        </message>
        <message>
            <source>Saved “{name}” in {folder}</source>
            <translation>已将“{name}”保存到 {folder}</translation>
        </message>
        <message>
            <source>Could not load: click to try again</source>
            <translation>加载失败：点击重试</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Remove the location from photos I send</source>
            <translation>发送照片时移除其中的位置信息</translation>
        </message>
        <message>
            <source>Photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>The GPS position a camera or phone wrote into a photo is taken out.</source>
            <translation>相机或手机写入照片的拍摄地点会被移除。</translation>
        </message>
    </context>
    <context>
        <name>ImageViewer</name>
        <message>
            <source>Image viewer</source>
            <translation>图片查看器</translation>
        </message>
        <message>
            <source>Previous image</source>
            <translation>上一张</translation>
        </message>
        <message>
            <source>Next image</source>
            <translation>下一张</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <source>This image cannot be opened</source>
            <translation>无法打开此图片</translation>
        </message>
        <message>
            <source>%1 of %2</source>
            <translation>第 %1 张，共 %2 张</translation>
        </message>
    </context>
    <context>
        <name>AnnounceActions</name>
        <message>
            <source>Could not unpin the message.</source>
            <translation>无法取消置顶。</translation>
        </message>
        <message>
            <source>Could not pin the message.</source>
            <translation>无法置顶这条消息。</translation>
        </message>
        <message>
            <source>Could not send your confirmation.</source>
            <translation>无法发送你的确认。</translation>
        </message>
        <message>
            <source>Not read yet</source>
            <translation>未读</translation>
        </message>
        <message>
            <source>Read</source>
            <translation>已读</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>已确认</translation>
        </message>
        <message>
            <source>You</source>
            <translation>你</translation>
        </message>
    </context>
    <context>
        <name>ConfirmPopup</name>
        <message numerus="yes">
            <source>%n bytes left</source>
            <translation>
                <numerusform>还可输入 %n 字节</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>This note is %n bytes too long. Shorten it to send.</source>
            <translation>
                <numerusform>备注超出 %n 字节，请缩短后再发送。</numerusform>
            </translation>
        </message>
        <message>
            <source>Use “%1” as the note</source>
            <translation>用“%1”作为备注</translation>
        </message>
        <message>
            <source>Quick note: %1</source>
            <translation>快捷备注：%1</translation>
        </message>
        <message>
            <source>Will do</source>
            <translation>马上办</translation>
        </message>
        <message>
            <source>OK</source>
            <translation>好的</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Add a note (optional)</source>
            <translation>添加备注（可选）</translation>
        </message>
        <message>
            <source>Confirm you have read this</source>
            <translation>确认你已阅读</translation>
        </message>
        <message>
            <source>Confirm</source>
            <translation>确认</translation>
        </message>
    </context>
    <context>
        <name>MemberPainter</name>
        <message>
            <source>Confirmed %1</source>
            <translation>确认 %1</translation>
        </message>
        <message>
            <source>Read %1</source>
            <translation>已读 %1</translation>
        </message>
    </context>
    <context>
        <name>PinBar</name>
        <message>
            <source>%1: %2. %3</source>
            <translation>%1：%2。%3</translation>
        </message>
        <message>
            <source>Pinned message</source>
            <translation>置顶消息</translation>
        </message>
        <message>
            <source>Pinned message — click to show it in the chat</source>
            <translation>置顶消息——点击在聊天中查看</translation>
        </message>
        <message>
            <source>Hide it for you (others still see it)</source>
            <translation>只对你隐藏（其他人仍能看到）</translation>
        </message>
        <message>
            <source>Hide the pinned message</source>
            <translation>隐藏置顶消息</translation>
        </message>
    </context>
    <context>
        <name>ProgressChart</name>
        <message>
            <source>Reminded</source>
            <translation>已提醒</translation>
        </message>
        <message>
            <source>Read</source>
            <translation>已读</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>已确认</translation>
        </message>
        <message>
            <source>After %1: %2 read</source>
            <translation>%1 后：%2 人已读</translation>
        </message>
        <message>
            <source>After %1: %2 read, %3 confirmed</source>
            <translation>%1 后：%2 人已读，%3 人已确认</translation>
        </message>
        <message>
            <source>Reads over time</source>
            <translation>阅读人数随时间变化</translation>
        </message>
        <message numerus="yes">
            <source>%n min</source>
            <translation>
                <numerusform>%n 分钟</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n h</source>
            <translation>
                <numerusform>%n 小时</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n days</source>
            <translation>
                <numerusform>%n 天</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n day</source>
            <translation>
                <numerusform>%n 天</numerusform>
            </translation>
        </message>
    </context>
</TS>
