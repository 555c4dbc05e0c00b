"""Request and response bodies of the rider, hotline and admin API.

``...Create`` bodies are validated strictly (unknown members, absurd counts, ambiguous
locations and times are rejected with a message saying why); ``...Public`` models are
what the API answers.
"""

from rider_api.schemas.bookings import (
    AgentBookingCreate,
    BookingCancel,
    BookingCreate,
    BookingCreatedPublic,
    BookingDropoffPublic,
    BookingPickupPublic,
    BookingPublic,
    BookingVehiclePublic,
    RiderContact,
    VehiclePosition,
)
from rider_api.schemas.common import (
    MAX_PASSENGERS,
    MAX_WHEELCHAIRS,
    Coordinates,
    LocationIn,
    Problem,
    ServiceTime,
    localise,
)
from rider_api.schemas.fleet import (
    ShiftCreate,
    ShiftPublic,
    VehicleCreate,
    VehicleCreatedPublic,
    VehiclePublic,
)
from rider_api.schemas.places import PlaceHitPublic, StopPublic
from rider_api.schemas.quotes import (
    DropoffPublic,
    OfferPublic,
    PickupPublic,
    QuoteCreate,
    QuotePublic,
    RequestedTime,
)
from rider_api.schemas.riders import (
    AddressIn,
    RiderCreate,
    RiderNeeds,
    RiderPublic,
    StandingOrderCreate,
    StandingOrderPublic,
    Weekday,
)

__all__ = [
    "MAX_PASSENGERS",
    "MAX_WHEELCHAIRS",
    "AddressIn",
    "AgentBookingCreate",
    "BookingCancel",
    "BookingCreate",
    "BookingCreatedPublic",
    "BookingDropoffPublic",
    "BookingPickupPublic",
    "BookingPublic",
    "BookingVehiclePublic",
    "Coordinates",
    "DropoffPublic",
    "LocationIn",
    "OfferPublic",
    "PickupPublic",
    "PlaceHitPublic",
    "Problem",
    "QuoteCreate",
    "QuotePublic",
    "RequestedTime",
    "RiderContact",
    "RiderCreate",
    "RiderNeeds",
    "RiderPublic",
    "ServiceTime",
    "ShiftCreate",
    "ShiftPublic",
    "StandingOrderCreate",
    "StandingOrderPublic",
    "StopPublic",
    "VehicleCreate",
    "VehicleCreatedPublic",
    "VehiclePosition",
    "VehiclePublic",
    "Weekday",
    "localise",
]
