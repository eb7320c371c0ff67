from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.events import Events
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    company: str,
    customer: str,
    *,
    limit: int | Unset = 1000,
    starting_after: int | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_starting_after: int | None | Unset
    if isinstance(starting_after, Unset):
        json_starting_after = UNSET
    else:
        json_starting_after = starting_after
    params["starting_after"] = json_starting_after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/companies/{company}/customers/{customer}/events".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Events | ProblemDetails:
    if response.status_code == 200:
        response_200 = Events.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ProblemDetails.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemDetails.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ProblemDetails.from_dict(response.json())

        return response_404

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

    if response.status_code == 429:
        response_429 = ProblemDetails.from_dict(response.json())

        return response_429

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
) -> Response[Events | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 1000,
    starting_after: int | None | Unset = UNSET,
) -> Response[Events | ProblemDetails]:
    """Customer Events

     The customer's stored events, in order, exactly as recorded (processor
    tokens included: auditors see the whole record). Paged by version; the
    default page of 1,000 holds the whole stream of nearly every customer.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        limit (int | Unset): Items per page, 1 to 1000 (default 1000) Default: 1000.
        starting_after (int | None | Unset): The cursor of the last item you have (the previous
            answer's `next_starting_after`); absent: the first page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Events | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        limit=limit,
        starting_after=starting_after,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 1000,
    starting_after: int | None | Unset = UNSET,
) -> Events | ProblemDetails | None:
    """Customer Events

     The customer's stored events, in order, exactly as recorded (processor
    tokens included: auditors see the whole record). Paged by version; the
    default page of 1,000 holds the whole stream of nearly every customer.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        limit (int | Unset): Items per page, 1 to 1000 (default 1000) Default: 1000.
        starting_after (int | None | Unset): The cursor of the last item you have (the previous
            answer's `next_starting_after`); absent: the first page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Events | ProblemDetails
    """

    return sync_detailed(
        company=company,
        customer=customer,
        client=client,
        limit=limit,
        starting_after=starting_after,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 1000,
    starting_after: int | None | Unset = UNSET,
) -> Response[Events | ProblemDetails]:
    """Customer Events

     The customer's stored events, in order, exactly as recorded (processor
    tokens included: auditors see the whole record). Paged by version; the
    default page of 1,000 holds the whole stream of nearly every customer.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        limit (int | Unset): Items per page, 1 to 1000 (default 1000) Default: 1000.
        starting_after (int | None | Unset): The cursor of the last item you have (the previous
            answer's `next_starting_after`); absent: the first page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Events | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        limit=limit,
        starting_after=starting_after,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 1000,
    starting_after: int | None | Unset = UNSET,
) -> Events | ProblemDetails | None:
    """Customer Events

     The customer's stored events, in order, exactly as recorded (processor
    tokens included: auditors see the whole record). Paged by version; the
    default page of 1,000 holds the whole stream of nearly every customer.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        limit (int | Unset): Items per page, 1 to 1000 (default 1000) Default: 1000.
        starting_after (int | None | Unset): The cursor of the last item you have (the previous
            answer's `next_starting_after`); absent: the first page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Events | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            client=client,
            limit=limit,
            starting_after=starting_after,
        )
    ).parsed
