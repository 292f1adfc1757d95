import warnings

from litestar import Litestar

from tests.helpers import Api


async def test_health_reports_the_database(api: Api) -> None:
    response = await api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_openapi_documents_every_endpoint_and_bearer_auth(api: Api) -> None:
    response = await api.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from POST /users or POST /me/tokens",
    }
    assert schema["security"] == [{"BearerToken": []}]
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    expected = {
        ("GET", "/health"),
        ("POST", "/users"),
        ("GET", "/me"),
        ("PATCH", "/me"),
        ("POST", "/me/tokens"),
        ("GET", "/me/tokens"),
        ("DELETE", "/me/tokens/{token_id}"),
        ("POST", "/groups"),
        ("GET", "/groups"),
        ("GET", "/groups/{group_id}"),
        ("PATCH", "/groups/{group_id}"),
        ("DELETE", "/groups/{group_id}"),
        ("PATCH", "/groups/{group_id}/members/{user_id}"),
        ("DELETE", "/groups/{group_id}/members/{user_id}"),
        ("POST", "/groups/{group_id}/invites"),
        ("GET", "/groups/{group_id}/invites"),
        ("DELETE", "/groups/{group_id}/invites/{invite_id}"),
        ("POST", "/invites/{code}/accept"),
        ("GET", "/events/{event_id}/invite.ics"),
        ("POST", "/events/{event_id}/reply"),
        ("GET", "/me/feed"),
        ("POST", "/me/feed/rotate"),
        ("GET", "/feeds/{feed_file}"),
        ("POST", "/me/email/verification"),
        ("GET", "/a/{secret}"),
        ("POST", "/a/{secret}"),
        ("GET", "/email/verify/{secret}"),
        ("POST", "/email/verify/{secret}"),
    }
    assert expected <= set(operations)
    for key, operation in operations.items():
        assert operation.get("operationId"), key
        assert operation.get("summary") or operation.get("description"), key
        assert "503" in operation["responses"], key
        public = key in {("GET", "/health"), ("POST", "/users"), ("GET", "/feeds/{feed_file}")}
        public |= key[1].startswith(("/a/", "/email/verify/"))  # the secret is the key
        assert ("401" in operation["responses"]) != public, key
        assert (operation.get("security") == [{}]) == public, key
    for key in [("POST", "/users"), ("PATCH", "/me"), ("POST", "/groups")]:
        responses = operations[key]["responses"]
        assert {"400", "413"} <= set(responses), key
        assert "requestBody" in operations[key], key
    for key in [
        ("PATCH", "/groups/{group_id}"),
        ("DELETE", "/groups/{group_id}/members/{user_id}"),
    ]:
        assert {"403", "404"} <= set(operations[key]["responses"]), key
    assert "409" in operations[("DELETE", "/groups/{group_id}/members/{user_id}")]["responses"]
    assert "410" in operations[("POST", "/invites/{code}/accept")]["responses"]
    assert "422" in operations[("POST", "/users")]["responses"]
    reply = operations[("POST", "/events/{event_id}/reply")]
    assert set(reply["requestBody"]["content"]) == {"text/calendar"}
    assert {"403", "409", "415", "422"} <= set(reply["responses"])
    assert (
        "text/calendar" in operations[("GET", "/feeds/{feed_file}")]["responses"]["200"]["content"]
    )
    assert "304" in operations[("GET", "/feeds/{feed_file}")]["responses"]


async def test_health_is_503_when_the_database_is_unreachable(api: Api, app: Litestar) -> None:
    from piccolo.engine.postgres import PostgresEngine

    from tests.server import free_port

    working = app.state.engine
    # Nothing listens on this port: as if the database had gone away. (Piccolo warns
    # at once that it cannot read the server's version.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app.state.engine = PostgresEngine(
            config={"dsn": f"postgresql://nobody@127.0.0.1:{free_port()}/none", "timeout": 1}
        )
    try:
        response = await api.get("/health")
    finally:
        app.state.engine = working
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert (await api.get("/health")).status_code == 200
