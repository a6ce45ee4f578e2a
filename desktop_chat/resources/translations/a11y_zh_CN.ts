<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>SpokenText</name>
        <message>
            <source>You confirmed it</source>
            <translation>你已确认</translation>
        </message>
        <message>
            <source>You confirmed it: {note}</source>
            <translation>你已确认：{note}</translation>
        </message>
        <message>
            <source>Asks you to confirm you have read it: press Enter to confirm</source>
            <translation>请你确认已阅读：按 Enter 确认</translation>
        </message>
    <message>
        <location filename="../../ui/spoken.py" line="30"/>
        <source>Sending</source>
        <translation>正在发送</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="32"/>
        <source>Not sent</source>
        <translation>未发送</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="36"/>
        <source>Read by {read} of {members}</source>
        <translation>{members} 人中 {read} 人已读</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="42"/>
        <source>Read</source>
        <translation>已读</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="45"/>
        <source>Read by {peer} at {time}</source>
        <translation>{peer} 于 {time} 已读</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="48"/>
        <source>Read by {peer}</source>
        <translation>{peer} 已读</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="50"/>
        <source>Delivered</source>
        <translation>已送达</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="51"/>
        <source>Sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="57"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="63"/>
        <source>{time}: {sender} recalled a message</source>
        <translation>{time}：{sender} 撤回了一条消息</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="67"/>
        <source>{sender}, {time}, replying to {quoted}: {text}</source>
        <translation>{sender}，{time}，回复“{quoted}”：{text}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="76"/>
        <source>{sender}, {time}: {text}</source>
        <translation>{sender}，{time}：{text}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="80"/>
        <source>{message} (edited)</source>
        <translation>{message}（已编辑）</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="85"/>
        <source>{message}. {receipt}</source>
        <translation>{message}。{receipt}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="94"/>
        <source>draft: {text}</source>
        <translation>草稿：{text}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="98"/>
        <source>last message: {text}</source>
        <translation>最后一条消息：{text}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="102"/>
        <source>no messages yet</source>
        <translation>还没有消息</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="106"/>
        <source>{title}, muted, %n unread message, {line}</source>
        <translation>{title}，已免打扰，%n 条未读消息，{line}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="110"/>
        <source>{title}, muted, %n unread messages, {line}</source>
        <translation>{title}，已免打扰，%n 条未读消息，{line}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="117"/>
        <source>{title}, %n unread message, {line}</source>
        <translation>{title}，%n 条未读消息，{line}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="121"/>
        <source>{title}, %n unread messages, {line}</source>
        <translation>{title}，%n 条未读消息，{line}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="127"/>
        <source>{title}, muted, {line}</source>
        <translation>{title}，已免打扰，{line}</translation>
    </message>
    <message>
        <location filename="../../ui/spoken.py" line="130"/>
        <source>{title}, {line}</source>
        <translation>{title}，{line}</translation>
    </message>
</context>
</TS>
