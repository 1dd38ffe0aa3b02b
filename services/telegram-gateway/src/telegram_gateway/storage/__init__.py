"""The gateway's own PostgreSQL tables: read model, pending requests, FSM state, admin relay."""
