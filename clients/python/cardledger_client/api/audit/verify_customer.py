from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.problem_details import ProblemDetails
from ...models.verification import Verification
from ...types import Response


def _get_kwargs(
    company: str,
    customer: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/companies/{company}/customers/{customer}/verification".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ProblemDetails | Verification:
    if response.status_code == 200:
        response_200 = Verification.from_dict(response.json())

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
) -> Response[ProblemDetails | Verification]:
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
) -> Response[ProblemDetails | Verification]:
    """Verify One Customer

     Replay the customer's events from scratch and compare the result with
    its card list, every field (`cardledger verify` does every customer).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | Verification]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
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
) -> ProblemDetails | Verification | None:
    """Verify One Customer

     Replay the customer's events from scratch and compare the result with
    its card list, every field (`cardledger verify` does every customer).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | Verification
    """

    return sync_detailed(
        company=company,
        customer=customer,
        client=client,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
) -> Response[ProblemDetails | Verification]:
    """Verify One Customer

     Replay the customer's events from scratch and compare the result with
    its card list, every field (`cardledger verify` does every customer).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | Verification]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    *,
    client: AuthenticatedClient,
) -> ProblemDetails | Verification | None:
    """Verify One Customer

     Replay the customer's events from scratch and compare the result with
    its card list, every field (`cardledger verify` does every customer).

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | Verification
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            client=client,
        )
    ).parsed
