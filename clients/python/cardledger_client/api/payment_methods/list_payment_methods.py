import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.payment_methods import PaymentMethods
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    company: str,
    customer: str,
    *,
    as_of: datetime.datetime | None | Unset = UNSET,
    cardledger_min_position: int | None | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(cardledger_min_position, Unset):
        headers["Cardledger-Min-Position"] = cardledger_min_position

    params: dict[str, Any] = {}

    json_as_of: None | str | Unset
    if isinstance(as_of, Unset):
        json_as_of = UNSET
    elif isinstance(as_of, datetime.datetime):
        json_as_of = as_of.isoformat()
    else:
        json_as_of = as_of
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/companies/{company}/customers/{customer}/payment-methods".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaymentMethods | ProblemDetails:
    if response.status_code == 200:
        response_200 = PaymentMethods.from_dict(response.json())

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
) -> Response[PaymentMethods | ProblemDetails]:
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
    as_of: datetime.datetime | None | Unset = UNSET,
    cardledger_min_position: int | None | Unset = UNSET,
) -> Response[PaymentMethods | ProblemDetails]:
    """List Payment Methods

     Current cards, primary first then newest first, and the customer's
    version (also the ETag, for If-Match).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        as_of (datetime.datetime | None | Unset): ISO-8601 instant (UTC when no offset): the cards
            as they were then, replayed from the events (auditor and office keys)
        cardledger_min_position (int | None | Unset): Answer from views that include at least this
            event-log position (a command's Cardledger-Position), waiting for them up to the read-
            your-writes timeout. For readers in another process than the one that took the command.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaymentMethods | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        as_of=as_of,
        cardledger_min_position=cardledger_min_position,
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
    as_of: datetime.datetime | None | Unset = UNSET,
    cardledger_min_position: int | None | Unset = UNSET,
) -> PaymentMethods | ProblemDetails | None:
    """List Payment Methods

     Current cards, primary first then newest first, and the customer's
    version (also the ETag, for If-Match).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        as_of (datetime.datetime | None | Unset): ISO-8601 instant (UTC when no offset): the cards
            as they were then, replayed from the events (auditor and office keys)
        cardledger_min_position (int | None | Unset): Answer from views that include at least this
            event-log position (a command's Cardledger-Position), waiting for them up to the read-
            your-writes timeout. For readers in another process than the one that took the command.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaymentMethods | ProblemDetails
    """

    return sync_detailed(
        company=company,
        customer=customer,
        client=client,
        as_of=as_of,
        cardledger_min_position=cardledger_min_position,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
    cardledger_min_position: int | None | Unset = UNSET,
) -> Response[PaymentMethods | ProblemDetails]:
    """List Payment Methods

     Current cards, primary first then newest first, and the customer's
    version (also the ETag, for If-Match).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        as_of (datetime.datetime | None | Unset): ISO-8601 instant (UTC when no offset): the cards
            as they were then, replayed from the events (auditor and office keys)
        cardledger_min_position (int | None | Unset): Answer from views that include at least this
            event-log position (a command's Cardledger-Position), waiting for them up to the read-
            your-writes timeout. For readers in another process than the one that took the command.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaymentMethods | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        as_of=as_of,
        cardledger_min_position=cardledger_min_position,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
    cardledger_min_position: int | None | Unset = UNSET,
) -> PaymentMethods | ProblemDetails | None:
    """List Payment Methods

     Current cards, primary first then newest first, and the customer's
    version (also the ETag, for If-Match).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        as_of (datetime.datetime | None | Unset): ISO-8601 instant (UTC when no offset): the cards
            as they were then, replayed from the events (auditor and office keys)
        cardledger_min_position (int | None | Unset): Answer from views that include at least this
            event-log position (a command's Cardledger-Position), waiting for them up to the read-
            your-writes timeout. For readers in another process than the one that took the command.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaymentMethods | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            client=client,
            as_of=as_of,
            cardledger_min_position=cardledger_min_position,
        )
    ).parsed
