"""accounts application layer: transport-free handlers (load -> decide -> append, one transaction each).

- streams.py: the two kinds of stream and loading their state:
  `account-{number}` (AccountRegistered, AccountLinked, AccountUnlinked) and
  `link-attempts-{chat_id}` (every AccountLinkRefused of the chat: the lockout counts per chat);
- linking.py: AccountLinkRequested / AccountUnlinkRequested -> exactly one answer event;
- registry.py: RegistryRecord batches -> AccountRegistered when new or changed."""
