"""Import aiogram with its pydantic models built on first use instead of at import.

`import aiogram` builds a validator and serializer for every one of its ~300 Telegram types (the
`model_rebuild` loop at the end of `aiogram/types/__init__.py`), each holding its own copy of the
nested types' schemas: 4.7 s of CPU and ~100 MB of RSS on an idle 2-core machine, 15-18 s of CPU
under load, before the gateway can answer /readyz. The gateway validates a handful of them (Update
and what it nests, the results of the few methods it calls). Built on first use (pydantic's
`defer_build`), the import costs 1.2 s and the process stays ~70 MB; nothing else changes: a
deferred model is complete and identical once built.

Two pydantic/aiogram internals are touched, only while aiogram is imported, and checked first: if
either is missing (a new pydantic or aiogram), aiogram is imported as usual."""

from __future__ import annotations

import sys
from typing import Any

_AIOGRAM = "aiogram."


def import_aiogram_deferred() -> None:
    """Import aiogram (once per process) with its models deferred; a no-op if it is imported already."""
    if "aiogram" in sys.modules:
        return
    from pydantic import BaseModel
    from pydantic._internal import _config

    for_model = getattr(_config.ConfigWrapper, "for_model", None)
    rebuild = getattr(BaseModel, "model_rebuild", None)
    if for_model is None or rebuild is None:
        import aiogram  # as usual

        return
    original_for_model, original_rebuild = for_model.__func__, rebuild.__func__

    def deferred_for_model(cls: Any, /, bases: Any, namespace: dict[str, Any], *args: Any) -> Any:
        wrapper = original_for_model(cls, bases, namespace, *args)
        if str(namespace.get("__module__", "")).startswith(_AIOGRAM):
            wrapper.config_dict["defer_build"] = True
        return wrapper

    def names_only_rebuild(cls: Any, /, *args: Any, _types_namespace: Any = None, **kwargs: Any) -> Any:
        # aiogram's loop passes every type's name so forward references resolve; put the names
        # where pydantic looks when it builds the model later (its module), build nothing now.
        if _types_namespace is not None and cls.__module__.startswith(_AIOGRAM):
            module = sys.modules[cls.__module__].__dict__
            for name, value in _types_namespace.items():
                module.setdefault(name, value)
            return None
        return original_rebuild(cls, *args, _types_namespace=_types_namespace, **kwargs)

    _config.ConfigWrapper.for_model = classmethod(deferred_for_model)  # type: ignore[method-assign,assignment]
    BaseModel.model_rebuild = classmethod(names_only_rebuild)  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401 - the import this module exists for
    finally:
        _config.ConfigWrapper.for_model = classmethod(original_for_model)  # type: ignore[method-assign,assignment]
        BaseModel.model_rebuild = classmethod(original_rebuild)  # type: ignore[method-assign,assignment]


def warm_up() -> None:
    """Build, at start, the models every update goes through (an Update and all it nests, the
    methods the bot calls): the first resident after a start does not wait for their build."""
    from aiogram import methods, types
    from aiogram.methods.base import Response

    types.Update.model_validate({"update_id": 0})
    for method in (
        methods.SendMessage,
        methods.EditMessageText,
        methods.EditMessageReplyMarkup,
        methods.AnswerCallbackQuery,
        methods.GetUpdates,
    ):
        method.model_rebuild()
        # the session validates each answer as Response[<what the method returns>]
        Response[method.__returning__].model_rebuild()  # type: ignore[name-defined]
