"""How commands, answers and plans travel between processes: pickled, but only our own types.

The engine and the API workers exchange the service's own frozen dataclasses (events,
commands, quote inputs, plans) and its errors. Pickle keeps them exact; a restricted
unpickler refuses every class that is not the service's own or a plain standard type,
so a message that someone else put on the bus cannot run code in the engine.
"""

from __future__ import annotations

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


def encode(value: object) -> bytes:
    """``value`` as bytes for the bus."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> Any:
    """The value of :func:`encode`'s bytes; refuses foreign classes (:class:`WireError`)."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except WireError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage in a message is the same refusal
        raise WireError(f"a damaged message on the bus ({type(exc).__name__})") from None
