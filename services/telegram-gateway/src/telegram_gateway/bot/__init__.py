"""The aiogram side: routers per feature, FSM states, typed callbacks, keyboards, middlewares."""
