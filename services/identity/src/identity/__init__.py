"""identity: residents known by their Telegram chat; their contact kept encrypted, erasable."""

SERVICE = "identity"
