"""How commands, answers and plans travel between processes: pickled, but only our own types.

The engine and the API workers exchange the service's own frozen dataclasses (events,
commands, quote inputs, plans) and its errors. Pickle keeps them exact; a restricted
unpickler refuses every class that is not the service's own or a plain standard type,
so a message that someone else put on the bus cannot run code in the engine.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import Any

from dispatch.errors import InputError

#: Modules whose classes may travel: the service's own, and plain standard types.
ALLOWED_PREFIXES = ("dispatch.",)
ALLOWED_MODULES = {
    "builtins": {
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "str",
        "bytes",
        "int",
        "float",
        "bool",
        "complex",
        "slice",
        "range",
        "NoneType",
        "getattr",
    },
    "collections": {"OrderedDict", "defaultdict", "deque"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "zoneinfo": {"ZoneInfo"},
    "zoneinfo._zoneinfo": {"ZoneInfo"},
    "decimal": {"Decimal"},
    "uuid": {"UUID"},
    "enum": {"Enum"},
    "types": {"MappingProxyType", "SimpleNamespace"},
    "copyreg": {"_reconstructor"},
    "pathlib": {"Path", "PosixPath", "PurePosixPath"},
    "numpy": {"dtype", "ndarray"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
}


class WireError(InputError):
    """A message on the bus that is not one of ours (or is damaged)."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = module.startswith(ALLOWED_PREFIXES) or name in ALLOWED_MODULES.get(module, ())
        if not allowed:
            raise WireError(f"refused a message holding {module}.{name}")
        return super().find_class(module, name)


class _Pickler(pickle.Pickler):
    """Our frozen slotted dataclasses travel as their class and field values.

    The default for such a class goes through the ``__getstate__`` that ``dataclasses``
    writes (a Python loop over ``fields()`` for every object); the engine's view of
    every open booking is thousands of them, sent every second. The class itself then
    rebuilds the object from the values, as its constructor would.
    """

    def reducer_override(self, obj: Any) -> Any:
        names = _plain_fields(type(obj))
        if names is None:
            return NotImplemented
        return type(obj), tuple([getattr(obj, name) for name in names])


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _plain_fields(cls: type) -> tuple[str, ...] | None:
    """The constructor's arguments of one of our slotted dataclasses that pickle the usual
    way, or ``None`` (anything else pickles as pickle would)."""
    try:
        return _FIELDS[cls]
    except KeyError:
        pass
    names = None
    getstate = getattr(cls, "__getstate__", None)
    if (
        dataclasses.is_dataclass(cls)
        and cls.__module__.startswith(ALLOWED_PREFIXES)
        and "__slots__" in cls.__dict__
        and getattr(getstate, "__name__", "") == "_dataclass_getstate"
        and cls.__reduce__ is object.__reduce__
        and cls.__reduce_ex__ is object.__reduce_ex__
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in dataclasses.fields(cls))
    ):
        names = tuple(f.name for f in dataclasses.fields(cls))
    _FIELDS[cls] = names
    return names


def encode(value: object) -> bytes:
    """``value`` as bytes for the bus."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def decode(data: bytes) -> Any:
    """The value of :func:`encode`'s bytes; refuses foreign classes (:class:`WireError`)."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except WireError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage in a message is the same refusal
        raise WireError(f"a damaged message on the bus ({type(exc).__name__})") from None
