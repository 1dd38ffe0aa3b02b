"""accounts: personal accounts (лицевые счета) from the billing registry and their links to chats."""

SERVICE = "accounts"
