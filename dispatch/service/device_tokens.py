"""Driver device tokens: issued once, stored only as a hash, shown once.

A vehicle's device token is what its driver tablet signs in with. A token written in
the service definition (``device_token``) is stored (as its hash) at every start and
keeps working. Otherwise the operator issues one with ``dispatch devices token bus-1``
(or the admin API): it is shown that once and survives restarts; ``--rotate`` replaces
it (the old one stops working at once). Vehicles without any token are named in the log
at start-up, with the command that issues one.
"""

from __future__ import annotations

import logging

from dispatch.config import ServiceConfig
from dispatch.errors import ConflictError
from dispatch.model import VehicleId
from dispatch.store import Repository
from dispatch.store.records import VehicleRecord
from dispatch.store.tokens import hash_token, new_token

log = logging.getLogger(__name__)


def store_fleet_tokens(repo: Repository, config: ServiceConfig, *, warn: bool = True) -> list[str]:
    """Store the definition's vehicles (and their configured tokens' hashes).

    Returns the vehicles that have no device token at all yet (logged with ``warn``).
    """
    missing = []
    for v in config.fleet.vehicles:
        configured = None if v.device_token_generated else v.device_token.get_secret_value()
        record = repo.upsert_vehicle(
            VehicleRecord(
                VehicleId(v.id),
                v.name or v.id,
                v.seats,
                v.wheelchair_places,
                v.depot.lat,
                v.depot.lon,
                hash_token(configured) if configured else None,
            )
        )
        if record.device_token_hash is None:
            missing.append(v.id)
        if record.device_token_hash is None and warn:
            log.warning(
                "vehicle %s has no device token yet: issue one with `dispatch devices token %s`"
                " (production shape: add `--area %s` and the engine's --config, if any)",
                v.id,
                v.id,
                config.area,
            )
    return missing


def issue_token(
    repo: Repository, config: ServiceConfig, vehicle_id: str, *, rotate: bool = False
) -> str:
    """A new device token for ``vehicle_id`` (its hash replaces the stored one).

    Raises ``ConflictError`` when the token is set in the service definition, or when
    the vehicle has one already and ``rotate`` is not given (it cannot be shown again).
    """
    vehicle = repo.get_vehicle(vehicle_id)
    configured = next((v for v in config.fleet.vehicles if v.id == vehicle_id), None)
    if configured is not None and not configured.device_token_generated:
        raise ConflictError(
            f"the device token of {vehicle_id} is set in the service definition; change it there"
        )
    if vehicle.device_token_hash is not None and not rotate:
        raise ConflictError(
            f"{vehicle_id} has a device token already (stored only as a hash, it cannot be "
            "shown again); rotate it to issue a new one (the old one stops working)"
        )
    token = new_token()
    repo.set_device_token_hash(vehicle_id, hash_token(token))
    log.info(
        "device token of %s %s", vehicle_id, "rotated" if vehicle.device_token_hash else "issued"
    )
    return token
