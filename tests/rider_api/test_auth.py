from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatch.errors import AuthError, ForbiddenError
from rider_api.auth import (
    Principal,
    Role,
    StaffTokens,
    hash_access_token,
    new_access_token,
    require_role,
    verify_access_token,
)
from rider_api.deps import AdminDep, BookingAccessDep, CurrentAgent, IdempotencyKey
from tests.rider_api.conftest import ADMIN, AGENT, auth, make_app


def test_roles() -> None:
    tokens = StaffTokens(admin=[ADMIN], agents=[AGENT, "second-agent-token-xyz"])
    assert len(tokens) == 3
    assert tokens.role_of(ADMIN) is Role.ADMIN
    assert tokens.role_of("second-agent-token-xyz") is Role.AGENT
    assert tokens.role_of(AGENT[:-1]) is None
    assert tokens.role_of("") is None
    assert tokens.role_of(None) is None


def test_short_staff_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        StaffTokens(agents=["1234"])


def test_staff_tokens_are_not_kept_in_clear() -> None:
    assert ADMIN not in repr(vars(StaffTokens(admin=[ADMIN])))


def test_require_role() -> None:
    admin, agent = Principal(Role.ADMIN), Principal(Role.AGENT)
    assert require_role(admin, Role.AGENT) is admin
    assert require_role(agent, Role.AGENT) is agent
    with pytest.raises(ForbiddenError):
        require_role(agent, Role.ADMIN)
    with pytest.raises(AuthError):
        require_role(None, Role.AGENT)


def test_access_tokens() -> None:
    token = new_access_token()
    stored = hash_access_token(token)
    assert len(token) >= 32 and token not in stored
    assert new_access_token() != token
    assert verify_access_token(token, stored)
    assert not verify_access_token(token + "x", stored)
    assert not verify_access_token(None, stored)
    assert not verify_access_token("", hash_access_token(""))
    assert not verify_access_token(token, None)


def _app() -> FastAPI:
    app = make_app()

    @app.get("/agent")
    def agent(principal: CurrentAgent) -> str:
        return principal.role

    @app.get("/admin")
    def admin(principal: AdminDep) -> str:
        return principal.role

    @app.get("/booking")
    def booking(access: BookingAccessDep) -> dict[str, str | None]:
        return {"token": access.token, "staff": access.staff.role if access.staff else None}

    @app.post("/book")
    def book(key: IdempotencyKey) -> str:
        return key

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app()) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/agent", {}, 401),
        ("/agent", auth("wrong-token-0123456789"), 401),
        ("/agent", {"Authorization": f"Basic {AGENT}"}, 401),
        ("/agent", {"Authorization": AGENT}, 401),
        ("/agent", auth(AGENT), 200),
        ("/agent", auth(ADMIN), 200),
        ("/admin", auth(AGENT), 403),
        ("/admin", auth(ADMIN), 200),
        ("/admin", {}, 401),
    ],
)
def test_staff_routes(client: TestClient, path: str, headers: dict[str, str], status: int) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"


def test_booking_access(client: TestClient) -> None:
    assert client.get("/booking").json() == {"token": None, "staff": None}
    assert client.get("/booking", headers=auth("rider-tok")).json() == {
        "token": "rider-tok",
        "staff": None,
    }
    assert client.get("/booking", headers=auth(AGENT)).json() == {"token": None, "staff": "agent"}


def test_idempotency_key_header(client: TestClient) -> None:
    assert client.post("/book", headers={"Idempotency-Key": "k-12345678"}).json() == "k-12345678"
    response = client.post("/book")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header Idempotency-Key"
    assert client.post("/book", headers={"Idempotency-Key": "short"}).status_code == 422


def test_no_staff_tokens_configured_means_nobody_is_staff() -> None:
    app = _app()
    del app.state.staff_tokens
    with TestClient(app) as client:
        assert client.get("/agent", headers=auth(AGENT)).status_code == 401
