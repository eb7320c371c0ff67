from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.health import Health
from ...models.problem_details import ProblemDetails
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/readyz",
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Health | ProblemDetails:
    if response.status_code == 200:
        response_200 = Health.from_dict(response.json())

        return response_200

    if response.status_code == 408:
        response_408 = ProblemDetails.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = ProblemDetails.from_dict(response.json())

        return response_413

    if response.status_code == 414:
        response_414 = ProblemDetails.from_dict(response.json())

        return response_414

    if response.status_code == 415:
        response_415 = ProblemDetails.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ProblemDetails.from_dict(response.json())

        return response_422

    if response.status_code == 431:
        response_431 = ProblemDetails.from_dict(response.json())

        return response_431

    if response.status_code == 503:
        response_503 = ProblemDetails.from_dict(response.json())

        return response_503

    response_default = ProblemDetails.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Health | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Health | ProblemDetails]:
    """Readyz

     Ready when the store answers a cheap query and the views keep up: 503
    when they are more than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS behind, or an
    event has waited more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them
    (the projector stopped: commands would wait and reads miss their writes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Health | ProblemDetails]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Health | ProblemDetails | None:
    """Readyz

     Ready when the store answers a cheap query and the views keep up: 503
    when they are more than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS behind, or an
    event has waited more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them
    (the projector stopped: commands would wait and reads miss their writes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Health | ProblemDetails
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Health | ProblemDetails]:
    """Readyz

     Ready when the store answers a cheap query and the views keep up: 503
    when they are more than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS behind, or an
    event has waited more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them
    (the projector stopped: commands would wait and reads miss their writes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Health | ProblemDetails]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Health | ProblemDetails | None:
    """Readyz

     Ready when the store answers a cheap query and the views keep up: 503
    when they are more than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS behind, or an
    event has waited more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them
    (the projector stopped: commands would wait and reads miss their writes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Health | ProblemDetails
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
