<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>Accessible</name>
        <message>
            <location filename="../../ui/accessible.py" line="19" />
            <source>Clear</source>
            <translation>清除</translation>
        </message>
    </context>
    <context>
        <name>AppSession</name>
        <message>
            <location filename="../../ui/session.py" line="205" />
            <source>Could not change starting on login ({path}): {error}</source>
            <translation>无法更改开机启动设置（{path}）：{error}</translation>
        </message>
        <message>
            <location filename="../../ui/session.py" line="218" />
            <source>Looking for “{name}”…</source>
            <translation>正在查找“{name}”…</translation>
        </message>
        <message>
            <location filename="../../ui/session.py" line="239" />
            <source>{reason}. Check the names and try again.</source>
            <translation>{reason}。请检查用户名后重试。</translation>
        </message>
        <message>
            <source>Could not save the settings to {path}: {error}</source>
            <translation>无法把设置保存到 {path}：{error}</translation>
        </message>
        <message>
            <source>Could not start the server on this computer ({error}). Try again, or connect to a server somewhere else.</source>
            <translation>无法在本机启动服务器（{error}）。请重试，或连接到其他地方的服务器。</translation>
        </message>
        <message>
            <source>Not connected: the server at {url} was not trusted.</source>
            <translation>未连接：你没有信任 {url} 上的服务器。</translation>
        </message>
        <message>
            <source>Starting the server for this computer…</source>
            <translation>正在启动仅供本机使用的服务器…</translation>
        </message>
        <message>
            <source>Starting the server for your network…</source>
            <translation>正在启动供你的网络使用的服务器…</translation>
        </message>
    </context>
    <context>
        <name>ChatController</name>
        <message>
            <location filename="../../ui/controller.py" line="124" />
            <source>Your session has ended. Sign out and sign in again.</source>
            <translation>你的会话已结束。请退出登录后重新登录。</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="165" />
            <source>{failure} {explanation}</source>
            <comment>what failed, then why and what to do</comment>
            <translation>{failure}{explanation}</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="171" />
            <source>{failure} ({error}) Try again.</source>
            <translation>{failure}（{error}）请重试。</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="195" />
            <location filename="../../ui/group_views.py" line="106" />
            <source>Group {id}</source>
            <translation>群聊 {id}</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="344" />
            <source>{sender} in {group}</source>
            <comment>a notification's title</comment>
            <translation>{sender}（{group}）</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="393" />
            <source>an announcement</source>
            <translation>一条公告</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="395" />
            <source>{sender} asks you to read</source>
            <translation>{sender} 请你阅读</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="407" />
            <source>Could not mark the chat as read. {explanation}</source>
            <translation>无法将聊天标为已读。{explanation}</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="427" />
            <source>Could not send the message.</source>
            <translation>消息发送失败。</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="433" />
            <source>Could not resend the message.</source>
            <translation>消息重新发送失败。</translation>
        </message>
        <message>
            <location filename="../../ui/controller.py" line="453" />
            <source>There is no account “{name}” on this server. Check the spelling, or ask them to create one first.</source>
            <translation>此服务器上没有账号“{name}”。请检查拼写，或请对方先注册一个账号。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="128" />
            <source>Could not say you are typing.</source>
            <translation>无法发送“正在输入”状态。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="148" />
            <source>Could not mute the chat.</source>
            <translation>无法开启消息免打扰。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="150" />
            <source>Could not unmute the chat.</source>
            <translation>无法关闭消息免打扰。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="163" />
            <source>Unmute</source>
            <translation>取消免打扰</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="165" />
            <source>Mute notifications</source>
            <translation>消息免打扰</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="209" />
            <source>Could not recall the message.</source>
            <translation>消息撤回失败。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="218" />
            <source>Message info</source>
            <translation>消息详情</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="231" />
            <source>Delete message</source>
            <translation>删除消息</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="232" />
            <source>Delete this message from this computer? Others still have it.</source>
            <translation>要从这台电脑上删除这条消息吗？其他人仍会保留它。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="238" />
            <source>Delete for me</source>
            <translation>仅为我删除</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="280" />
            <source>Could not send the reply.</source>
            <translation>回复发送失败。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="286" />
            <source>Could not edit the message.</source>
            <translation>消息编辑失败。</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="315" />
            <source>You</source>
            <translation>我</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="342" />
            <source>That message is no longer on this computer.</source>
            <translation>这台电脑上已没有这条消息。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="52" />
            <source>Could not load who read it.</source>
            <translation>无法加载已读成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="88" />
            <source>Could not send the reminder.</source>
            <translation>提醒发送失败。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="99" />
            <source>Direct message</source>
            <translation>单聊</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="109" />
            <source>Group</source>
            <translation>群聊</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="116" />
            <source>Group · %n members</source>
            <translation>群聊 · %n 名成员</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="140" />
            <source>Could not load the group's members.</source>
            <translation>无法加载群成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="152" />
            <source>Could not refresh the group.</source>
            <translation>无法刷新群聊。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="176" />
            <source>Could not load the group.</source>
            <translation>无法加载群聊。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="203" />
            <source>Could not load the members.</source>
            <translation>无法加载成员。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="215" />
            <source>{reason}. Nothing was changed; try again.</source>
            <translation>{reason}。没有做任何更改，请重试。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="225" />
            <source>Could not change the group.</source>
            <translation>无法修改群聊。</translation>
        </message>
        <message>
            <location filename="../../ui/group_views.py" line="239" />
            <source>Could not leave the group.</source>
            <translation>无法退出群聊。</translation>
        </message>
    </context>
    <context>
        <name>ChatListPane</name>
        <message>
            <location filename="../../ui/conversations/chat_list.py" line="91" />
            <source>Search chats  (Ctrl+K)</source>
            <translation>搜索聊天  (Ctrl+K)</translation>
        </message>
        <message>
            <location filename="../../ui/conversations/chat_list.py" line="93" />
            <source>Search chats</source>
            <translation>搜索聊天</translation>
        </message>
        <message>
            <location filename="../../ui/conversations/chat_list.py" line="94" />
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <location filename="../../ui/conversations/chat_list.py" line="110" />
            <source>Chats</source>
            <translation>聊天</translation>
        </message>
        <message>
            <location filename="../../ui/conversations/chat_list.py" line="184" />
            <source>No chats match “{text}”.</source>
            <translation>没有与“{text}”匹配的聊天。</translation>
        </message>
    </context>
    <context>
        <name>ConversationDelegate</name>
        <message>
            <location filename="../../ui/conversations/conversation_delegate.py" line="64" />
            <source>Draft: </source>
            <translation>[草稿] </translation>
        </message>
    </context>
    <context>
        <name>DesktopNotifier</name>
        <message>
            <location filename="../../ui/desktop_notify.py" line="154" />
            <source>Open chat</source>
            <translation>打开聊天</translation>
        </message>
    </context>
    <context>
        <name>Excepthook</name>
        <message>
            <location filename="../../ui/excepthook.py" line="27" />
            <source>Something went wrong: {error}. The app keeps running; please try again.</source>
            <translation>出错了：{error}。应用仍在运行，请重试。</translation>
        </message>
    </context>
    <context>
        <name>Forms</name>
        <message>
            <location filename="../../ui/dialogs/form_checks.py" line="27" />
            <source>Usernames are 2–32 characters: lowercase letters a–z, digits, '.', '_' or '-', starting with a letter.</source>
            <translation>用户名为 2–32 个字符：小写字母 a–z、数字、“.”、“_”或“-”，并以字母开头。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/form_checks.py" line="46" />
            <source>Enter a username.</source>
            <translation>请输入用户名。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/form_checks.py" line="50" />
            <source>Usernames are lowercase. Try “{name}”.</source>
            <translation>用户名只能用小写字母。试试“{name}”。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/form_checks.py" line="54" />
            <source>Usernames are 2 to 32 characters long. {rule}</source>
            <translation>用户名长度为 2 到 32 个字符。{rule}</translation>
        </message>
        <message>
            <source>Server addresses look like wss://chat.example.com:8765. Check the address, or use the server on this computer.</source>
            <translation>服务器地址的格式类似 wss://chat.example.com:8765。请检查地址，或使用本机上的服务器。</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="171" />
            <location filename="../../ui/dialogs/forms.py" line="288" />
            <source>Signing in…</source>
            <translation>正在登录…</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="172" />
            <location filename="../../ui/dialogs/forms.py" line="199" />
            <source>Sign in</source>
            <translation>登录</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="182" />
            <source>Leave empty to use this computer's own server</source>
            <translation>留空则使用本机自带的服务器</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="184" />
            <source>Clear the server address</source>
            <translation>清除服务器地址</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="187" />
            <source>for example alice</source>
            <translation>例如 alice</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/dialogs/forms.py" line="194" />
            <source>At least %n characters for a new account</source>
            <translation>
                <numerusform>新账号的密码至少 %n 个字符</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="203" />
            <source>Create account</source>
            <translation>注册账号</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="221" />
            <source>Server:</source>
            <translation>服务器：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="222" />
            <source>Username:</source>
            <translation>用户名：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="223" />
            <source>Password:</source>
            <translation>密码：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="233" />
            <source>Sign in to desktop_chat</source>
            <translation>登录 desktop_chat</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="234" />
            <source>Use your account on a server, or create one.</source>
            <translation>使用你在服务器上的账号登录，或注册一个新账号。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="245" />
            <source>Create account “{name}”</source>
            <translation>注册账号“{name}”</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="271" />
            <source>Enter your password.</source>
            <translation>请输入密码。</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/dialogs/forms.py" line="276" />
            <source>Choose a password of at least %n characters (this one has {count}).</source>
            <translation>
                <numerusform>请设置至少 %n 个字符的密码（当前只有 {count} 个）。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="294" />
            <source>Creating your account…</source>
            <translation>正在注册账号…</translation>
        </message>
        <message>
            <source> or </source>
            <translation> 或 </translation>
        </message>
        <message>
            <source>Connect to a server:</source>
            <translation>连接到服务器：</translation>
        </message>
        <message>
            <source>People on this network type {addresses} as their server, and check that it shows the security code {code}.</source>
            <translation>这个网络上的其他人把 {addresses} 填作服务器地址，并核对它显示的安全码 {code}。</translation>
        </message>
        <message>
            <source>Server address</source>
            <translation>服务器地址</translation>
        </message>
        <message>
            <source>This computer has no network address others could reach right now. Connect it to a network; the address will show here.</source>
            <translation>本机现在没有其他人能访问的网络地址。请连接到网络，地址会显示在这里。</translation>
        </message>
        <message>
            <source>Type the server&apos;s address, or use the server on this computer.</source>
            <translation>请输入服务器地址，或使用本机上的服务器。</translation>
        </message>
        <message>
            <source>Use a server on this computer for people on this network</source>
            <translation>在本机运行服务器，供这个网络上的人使用</translation>
        </message>
        <message>
            <source>Use a server on this computer, for this computer only</source>
            <translation>在本机运行服务器，仅供本机使用</translation>
        </message>
        <message>
            <source>desktop_chat has a server built in, so you need none to start: it keeps the accounts and messages on this computer.</source>
            <translation>desktop_chat 自带服务器，无需另备即可开始使用：账号和消息都保存在本机上。</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../../ui/main_window.py" line="141" />
            <source>Connecting…</source>
            <translation>正在连接…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="158" />
            <source>New chat</source>
            <translation>发起聊天</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="160" />
            <source>New group</source>
            <translation>创建群聊</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="182" />
            <source>Select a chat, or start one with “New chat”.</source>
            <translation>选择一个聊天，或点击“发起聊天”开始新的聊天。</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="197" />
            <source>&amp;Chat</source>
            <translation>聊天(&amp;C)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="199" />
            <source>&amp;New chat…</source>
            <translation>发起聊天(&amp;N)…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="200" />
            <source>New &amp;group…</source>
            <translation>创建群聊(&amp;G)…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="201" />
            <source>&amp;Find a chat…</source>
            <translation>查找聊天(&amp;F)…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="202" />
            <source>Search &amp;messages…</source>
            <translation>搜索消息(&amp;M)…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="204" />
            <source>&amp;Previous chat</source>
            <translation>上一个聊天(&amp;P)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="205" />
            <source>Ne&amp;xt chat</source>
            <translation>下一个聊天(&amp;X)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="207" />
            <source>&amp;Settings…</source>
            <translation>设置(&amp;S)…</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="208" />
            <source>Sign &amp;out</source>
            <translation>退出登录(&amp;O)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="209" />
            <location filename="../../ui/main_window.py" line="264" />
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/main_window.py" line="230" />
            <source>desktop_chat — {name} (%n)</source>
            <comment>window title: unread count</comment>
            <translation>
                <numerusform>desktop_chat — {name}（%n）</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="232" />
            <source>desktop_chat — {name}</source>
            <comment>window title</comment>
            <translation>desktop_chat — {name}</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/main_window.py" line="239" />
            <source>desktop_chat — %n unread</source>
            <translation>
                <numerusform>desktop_chat — %n 条未读</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="256" />
            <source>&amp;Open</source>
            <translation>打开(&amp;O)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="257" />
            <location filename="../../ui/main_window.py" line="325" />
            <source>&amp;Mute notifications for 1 hour</source>
            <translation>通知免打扰 1 小时(&amp;M)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="263" />
            <source>&amp;Sign out</source>
            <translation>退出登录(&amp;S)</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="291" />
            <source>{title}: {text}</source>
            <comment>a notification in the status bar</comment>
            <translation>{title}：{text}</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="320" />
            <source>Notifications muted until {time}</source>
            <translation>通知已静音，直到 {time}</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="329" />
            <source>Connected</source>
            <translation>已连接</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="331" />
            <source>Connected to {server}</source>
            <translation>已连接到 {server}</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="337" />
            <source>Messages you send now wait on this computer and go out once the server answers.</source>
            <translation>现在发送的消息会先保存在这台电脑上，服务器恢复响应后自动发出。</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="388" />
            <source>desktop_chat is still running</source>
            <translation>desktop_chat 仍在运行</translation>
        </message>
        <message>
            <location filename="../../ui/main_window.py" line="389" />
            <source>New messages will still reach you. Use Quit (Ctrl+Q) to end it.</source>
            <translation>你仍会收到新消息。要彻底退出，请使用“退出”（Ctrl+Q）。</translation>
        </message>
    </context>
    <context>
        <name>MessageInfo</name>
        <message>
            <location filename="../../ui/message_actions.py" line="61" />
            <source>Sending…</source>
            <translation>发送中…</translation>
        </message>
        <message>
            <location filename="../../ui/message_actions.py" line="63" />
            <source>Not sent yet.</source>
            <translation>尚未发送。</translation>
        </message>
    </context>
    <context>
        <name>NewChatDialog</name>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="309" />
            <source>Opening the chat…</source>
            <translation>正在打开聊天…</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="311" />
            <source>New chat</source>
            <translation>发起聊天</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="316" />
            <source>Username, for example alice</source>
            <translation>用户名，例如 alice</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="318" />
            <source>Username to message</source>
            <translation>要发消息的用户名</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="319" />
            <source>Start chat</source>
            <translation>开始聊天</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="323" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="336" />
            <source>Who do you want to message?</source>
            <translation>你想给谁发消息？</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="349" />
            <source>That's your own username. Enter someone else's.</source>
            <translation>这是你自己的用户名。请输入其他人的用户名。</translation>
        </message>
    </context>
    <context>
        <name>NewGroupDialog</name>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="365" />
            <source>Creating the group…</source>
            <translation>正在创建群聊…</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="367" />
            <source>New group</source>
            <translation>创建群聊</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="378" />
            <source>For example Release team</source>
            <translation>例如 发布小组</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="383" />
            <source>alice, bob, carol
(commas, spaces or new lines)</source>
            <translation>alice, bob, carol
（用逗号、空格或换行分隔）</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="388" />
            <location filename="../../ui/dialogs/forms.py" line="458" />
            <source>You are added automatically.</source>
            <translation>你会被自动加入。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="392" />
            <source>Owner and admins</source>
            <translation>群主和管理员</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="395" />
            <source>Everyone</source>
            <translation>所有人</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="408" />
            <source>Create group</source>
            <translation>创建群聊</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="412" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="422" />
            <source>Group name:</source>
            <translation>群名称：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="423" />
            <source>Members:</source>
            <translation>成员：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="425" />
            <source>Who may ask for
read receipts:</source>
            <translation>谁可以请求
已读回执：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="429" />
            <source>Members can always send read receipts; this decides who may ask for them.</source>
            <translation>成员总是可以发送已读回执；这里决定谁可以请求已读回执。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="454" />
            <source>1 member, plus you.</source>
            <translation>1 名成员，另加上你。</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/dialogs/forms.py" line="456" />
            <source>%n members, plus you.</source>
            <translation>
                <numerusform>%n 名成员，另加上你。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="464" />
            <source>Give the group a name.</source>
            <translation>请为群聊取个名字。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="469" />
            <source>, </source>
            <comment>between names in a list</comment>
            <translation>、</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="470" />
            <source>“{name}”</source>
            <translation>“{name}”</translation>
        </message>
        <message numerus="yes">
            <location filename="../../ui/dialogs/forms.py" line="474" />
            <source>Not a valid username: {names} and %n more. {rule}</source>
            <translation>
                <numerusform>无效的用户名：{names} 等另外 %n 个。{rule}</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/forms.py" line="477" />
            <source>Not a valid username: {names}. {rule}</source>
            <translation>无效的用户名：{names}。{rule}</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="47" />
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="70" />
            <source>Send delivery receipts</source>
            <translation>发送送达回执</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="72" />
            <source>Send and receive read receipts</source>
            <translation>发送和接收已读回执</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="74" />
            <source>Receipts</source>
            <translation>回执</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="79" />
            <source>Lets senders see ✓✓ once a message has reached this computer.</source>
            <translation>消息到达这台电脑后，发送者会看到 ✓✓。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="84" />
            <source>If you turn read receipts off, you won't send or see them.</source>
            <translation>关闭已读回执后，你既不会发送也不会看到已读回执。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="95" />
            <location filename="../../ui/dialogs/settings.py" line="100" />
            <source> s</source>
            <comment>seconds</comment>
            <translation> 秒</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="101" />
            <source>When a message counts as read</source>
            <translation>何时算作已读</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="108" />
            <source>Time on screen:</source>
            <translation>显示时长：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="111" />
            <source>At least half of the message must stay visible this long, in the open chat, with this window active.</source>
            <translation>消息至少一半内容须在打开的聊天中显示这么久，且本窗口处于活动状态。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="116" />
            <source>Away after:</source>
            <translation>离开判定：</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="118" />
            <source>Without keyboard or mouse use for this long, nothing is marked read.</source>
            <translation>键盘和鼠标闲置超过这个时间后，不会再标记任何消息为已读。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="130" />
            <source>Show desktop notifications</source>
            <translation>显示桌面通知</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="132" />
            <source>Notifications</source>
            <translation>通知</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="137" />
            <source>Notifications never mark messages as read.</source>
            <translation>通知不会把消息标为已读。</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="139" />
            <source>Start desktop_chat when I log in</source>
            <translation>登录系统时启动 desktop_chat</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="149" />
            <location filename="../../ui/dialogs/settings.py" line="152" />
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="151" />
            <source>System</source>
            <comment>the system's language</comment>
            <translation>跟随系统</translation>
        </message>
        <message>
            <location filename="../../ui/dialogs/settings.py" line="157" />
            <source>Takes effect when you restart desktop_chat.</source>
            <translation>重新启动 desktop_chat 后生效。</translation>
        </message>
        <message>
            <source>Server on this computer</source>
            <translation>本机上的服务器</translation>
        </message>
        <message>
            <source>To stop sharing, sign out and choose the server for this computer only.</source>
            <translation>要停止共享，请退出登录，然后选择仅供本机使用的服务器。</translation>
        </message>
    </context>
    <context>
        <name>Wording</name>
        <message>
            <location filename="../../ui/wording.py" line="33" />
            <source>Offline — can't reach the server; we keep trying.</source>
            <translation>离线 — 无法连接服务器，正在持续重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="36" />
            <source>Offline — can't reach {server}; we keep trying.</source>
            <translation>离线 — 无法连接 {server}，正在持续重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="46" />
            <source>The server at {server} is up but can't serve right now (its database may be down). Wait a moment, we keep trying.</source>
            <translation>{server} 上的服务器在运行，但暂时无法提供服务（可能是数据库故障）。请稍候，我们会持续重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="52" />
            <source>The server at {server} is up but can't serve right now (its database may be down). Wait a moment, then try again.</source>
            <translation>{server} 上的服务器在运行，但暂时无法提供服务（可能是数据库故障）。请稍候再试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="58" />
            <source>Can't reach the server at {server}. Check the address or your network, we keep trying.</source>
            <translation>无法连接 {server} 上的服务器。请检查地址或网络，我们会持续重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="64" />
            <source>Can't reach the server at {server}. Check the address or your network, then try again.</source>
            <translation>无法连接 {server} 上的服务器。请检查地址或网络，然后重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="76" />
            <source>Wrong password, or there is no account “{name}” on this server yet. Check the password and try again, or create the account.</source>
            <translation>密码错误，或此服务器上还没有账号“{name}”。请检查密码后重试，或注册该账号。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="82" />
            <source>Wrong password, or there is no account with that name on this server yet. Check the password and try again, or create the account.</source>
            <translation>密码错误，或此服务器上还没有这个用户名的账号。请检查密码后重试，或注册该账号。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="88" />
            <source>There is no account “{name}” on this server yet. Create it, or check the name.</source>
            <translation>此服务器上还没有账号“{name}”。请注册该账号，或检查用户名。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="93" />
            <source>There is no account with that name on this server yet. Create it, or check the name.</source>
            <translation>此服务器上还没有这个用户名的账号。请注册该账号，或检查用户名。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="112" />
            <source>The server at {server} did not answer in time. Check your network, we keep trying.</source>
            <translation>{server} 上的服务器没有及时响应。请检查网络，我们会持续重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="118" />
            <source>The server at {server} did not answer in time. Check your network, then try again.</source>
            <translation>{server} 上的服务器没有及时响应。请检查网络，然后重试。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="129" />
            <source>That name is taken. Choose another, or sign in if it is yours.</source>
            <translation>该用户名已被占用。请换一个，如果这是你的账号，请直接登录。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="133" />
            <source>This server does not let people create accounts. Ask its administrator for one, then sign in.</source>
            <translation>此服务器不允许自行注册账号。请向管理员申请账号，然后登录。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="140" />
            <source>It is too late to recall this message ({reason}). You can delete it for yourself instead.</source>
            <translation>已超过可撤回的时间（{reason}）。你可以改为仅为自己删除。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="146" />
            <source>That message was recalled, so it can no longer be changed.</source>
            <translation>该消息已撤回，无法再修改。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="150" />
            <source>The server can't save anything right now (its storage is unavailable). What you send waits on this computer and goes out by itself when it can.</source>
            <translation>服务器暂时无法保存任何内容（存储不可用）。你发送的消息会先保存在这台电脑上，恢复后自动发出。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="156" />
            <source>Your session on this computer has ended. Sign in again.</source>
            <translation>你在这台电脑上的会话已结束。请重新登录。</translation>
        </message>
        <message>
            <location filename="../../ui/wording.py" line="159" />
            <source>Something went wrong. Try again.</source>
            <translation>出错了，请重试。</translation>
        </message>
        <message>
            <source>The server at {server} now presents another certificate than the one you trusted, so the app does not connect. If its owner set it up again, sign out and sign in to compare its new security code.</source>
            <translation>{server} 上的服务器现在出示的证书与你信任过的不同，因此应用不会连接。如果它的主人重新设置过服务器，请退出登录后重新登录，以核对新的安全码。</translation>
        </message>
        <message>
            <source>The server at {server} has a certificate no authority vouches for. Ask its owner for its security code, then sign in again to compare it.</source>
            <translation>{server} 上的服务器的证书没有任何机构担保。请向它的主人要来安全码，然后重新登录进行核对。</translation>
        </message>
    </context>
    <context>
        <name>TrustDialog</name>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Check this server</source>
            <translation>核对这个服务器</translation>
        </message>
        <message>
            <source>Security code</source>
            <translation>安全码</translation>
        </message>
        <message>
            <source>The codes match: trust this server</source>
            <translation>安全码一致：信任这个服务器</translation>
        </message>
        <message>
            <source>The server at {url} now presents another certificate than the one you trusted. If its owner set it up again, compare the new security code with the one on their screen. If they did not, do not connect.</source>
            <translation>{url} 上的服务器现在出示的证书与你信任过的不同。如果它的主人重新设置过服务器，请把新的安全码与对方屏幕上显示的核对；如果没有，请不要连接。</translation>
        </message>
        <message>
            <source>The server at {url} uses a certificate of its own, which no authority vouches for. Ask the person whose computer runs it to read out the security code their sign-in window or Settings show, and compare it with this one.</source>
            <translation>{url} 上的服务器使用自己签发的证书，没有任何机构为它担保。请运行它的电脑的主人念出其登录窗口或设置中显示的安全码，并与这里的核对。</translation>
        </message>
    </context>
</TS>
