from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.autopay_charge_in import AutopayChargeIn
from ...models.autopay_charge_out import AutopayChargeOut
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    company: str,
    customer: str,
    *,
    body: AutopayChargeIn,
    x_actor: str,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["X-Actor"] = x_actor

    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/companies/{company}/customers/{customer}/autopay/charges".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AutopayChargeOut | ProblemDetails:
    if response.status_code == 201:
        response_201 = AutopayChargeOut.from_dict(response.json())

        return response_201

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
) -> Response[AutopayChargeOut | ProblemDetails]:
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
    body: AutopayChargeIn,
    x_actor: str,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[AutopayChargeOut | ProblemDetails]:
    """Charge

     Charge an invoice off-session under the customer's autopay consent;
    declines fall back to other cards if the company says so. 201 whatever
    the outcome: `status` says it. The same Idempotency-Key answers the same
    charge and never charges again.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)
        idempotency_key (None | str | Unset): Makes a retry safe: the same key with the same
            request returns the first answer without changing anything again; with a different request
            it is a 422. Optional: without it the command runs every time.
        body (AutopayChargeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AutopayChargeOut | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        body=body,
        x_actor=x_actor,
        idempotency_key=idempotency_key,
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
    body: AutopayChargeIn,
    x_actor: str,
    idempotency_key: None | str | Unset = UNSET,
) -> AutopayChargeOut | ProblemDetails | None:
    """Charge

     Charge an invoice off-session under the customer's autopay consent;
    declines fall back to other cards if the company says so. 201 whatever
    the outcome: `status` says it. The same Idempotency-Key answers the same
    charge and never charges again.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)
        idempotency_key (None | str | Unset): Makes a retry safe: the same key with the same
            request returns the first answer without changing anything again; with a different request
            it is a 422. Optional: without it the command runs every time.
        body (AutopayChargeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AutopayChargeOut | ProblemDetails
    """

    return sync_detailed(
        company=company,
        customer=customer,
        client=client,
        body=body,
        x_actor=x_actor,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    body: AutopayChargeIn,
    x_actor: str,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[AutopayChargeOut | ProblemDetails]:
    """Charge

     Charge an invoice off-session under the customer's autopay consent;
    declines fall back to other cards if the company says so. 201 whatever
    the outcome: `status` says it. The same Idempotency-Key answers the same
    charge and never charges again.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)
        idempotency_key (None | str | Unset): Makes a retry safe: the same key with the same
            request returns the first answer without changing anything again; with a different request
            it is a 422. Optional: without it the command runs every time.
        body (AutopayChargeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AutopayChargeOut | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        body=body,
        x_actor=x_actor,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
    body: AutopayChargeIn,
    x_actor: str,
    idempotency_key: None | str | Unset = UNSET,
) -> AutopayChargeOut | ProblemDetails | None:
    """Charge

     Charge an invoice off-session under the customer's autopay consent;
    declines fall back to other cards if the company says so. 201 whatever
    the outcome: `status` says it. The same Idempotency-Key answers the same
    charge and never charges again.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        x_actor (str): Who is acting: `customer:<id>` (portal keys: the path's customer) or
            `user:<id>` (office and admin keys)
        idempotency_key (None | str | Unset): Makes a retry safe: the same key with the same
            request returns the first answer without changing anything again; with a different request
            it is a 422. Optional: without it the command runs every time.
        body (AutopayChargeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AutopayChargeOut | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            client=client,
            body=body,
            x_actor=x_actor,
            idempotency_key=idempotency_key,
        )
    ).parsed
