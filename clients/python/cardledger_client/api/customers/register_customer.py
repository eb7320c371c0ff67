from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.customer_record import CustomerRecord
from ...models.problem_details import ProblemDetails
from ...types import Response


def _get_kwargs(
    company: str,
    customer: str,
    *,
    x_actor: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["X-Actor"] = x_actor

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/companies/{company}/customers/{customer}".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CustomerRecord | ProblemDetails:
    if response.status_code == 200:
        response_200 = CustomerRecord.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = CustomerRecord.from_dict(response.json())

        return response_201

    if response.status_code == 401:
        response_401 = ProblemDetails.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemDetails.from_dict(response.json())

        return response_403

    if response.status_code == 408:
        response_408 = ProblemDetails.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = ProblemDetails.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = ProblemDetails.from_dict(response.json())

        return response_410

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
) -> Response[CustomerRecord | ProblemDetails]:
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
    x_actor: str,
) -> Response[CustomerRecord | ProblemDetails]:
    """Put Customer

     Register the customer: 201 when new, 200 when it already existed.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomerRecord | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        x_actor=x_actor,
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
    x_actor: str,
) -> CustomerRecord | ProblemDetails | None:
    """Put Customer

     Register the customer: 201 when new, 200 when it already existed.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomerRecord | ProblemDetails
    """

    return sync_detailed(
        company=company,
        customer=customer,
        client=client,
        x_actor=x_actor,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    x_actor: str,
) -> Response[CustomerRecord | ProblemDetails]:
    """Put Customer

     Register the customer: 201 when new, 200 when it already existed.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomerRecord | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        x_actor=x_actor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    x_actor: str,
) -> CustomerRecord | ProblemDetails | None:
    """Put Customer

     Register the customer: 201 when new, 200 when it already existed.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomerRecord | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            client=client,
            x_actor=x_actor,
        )
    ).parsed
