from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.expiring_cards import ExpiringCards
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    company: str,
    *,
    within_days: int | Unset = 30,
    limit: int | Unset = 100,
    after: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["within_days"] = within_days

    params["limit"] = limit

    json_after: None | str | Unset
    if isinstance(after, Unset):
        json_after = UNSET
    else:
        json_after = after
    params["after"] = json_after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/companies/{company}/reports/expiring-cards".format(
            company=quote(str(company), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ExpiringCards | ProblemDetails:
    if response.status_code == 200:
        response_200 = ExpiringCards.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ProblemDetails.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemDetails.from_dict(response.json())

        return response_403

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
) -> Response[ExpiringCards | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    company: str,
    *,
    client: AuthenticatedClient,
    within_days: int | Unset = 30,
    limit: int | Unset = 100,
    after: None | str | Unset = UNSET,
) -> Response[ExpiringCards | ProblemDetails]:
    """Expiring Cards Report

     Saved cards that expire between today and `within_days` from now (as
    the account updater last corrected them), soonest first, marking the ones
    autopay charges.

    Args:
        company (str): The company's own id
        within_days (int | Unset):  Default: 30.
        limit (int | Unset):  Default: 100.
        after (None | str | Unset): next_after of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExpiringCards | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        within_days=within_days,
        limit=limit,
        after=after,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    company: str,
    *,
    client: AuthenticatedClient,
    within_days: int | Unset = 30,
    limit: int | Unset = 100,
    after: None | str | Unset = UNSET,
) -> ExpiringCards | ProblemDetails | None:
    """Expiring Cards Report

     Saved cards that expire between today and `within_days` from now (as
    the account updater last corrected them), soonest first, marking the ones
    autopay charges.

    Args:
        company (str): The company's own id
        within_days (int | Unset):  Default: 30.
        limit (int | Unset):  Default: 100.
        after (None | str | Unset): next_after of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExpiringCards | ProblemDetails
    """

    return sync_detailed(
        company=company,
        client=client,
        within_days=within_days,
        limit=limit,
        after=after,
    ).parsed


async def asyncio_detailed(
    company: str,
    *,
    client: AuthenticatedClient,
    within_days: int | Unset = 30,
    limit: int | Unset = 100,
    after: None | str | Unset = UNSET,
) -> Response[ExpiringCards | ProblemDetails]:
    """Expiring Cards Report

     Saved cards that expire between today and `within_days` from now (as
    the account updater last corrected them), soonest first, marking the ones
    autopay charges.

    Args:
        company (str): The company's own id
        within_days (int | Unset):  Default: 30.
        limit (int | Unset):  Default: 100.
        after (None | str | Unset): next_after of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExpiringCards | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        within_days=within_days,
        limit=limit,
        after=after,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    *,
    client: AuthenticatedClient,
    within_days: int | Unset = 30,
    limit: int | Unset = 100,
    after: None | str | Unset = UNSET,
) -> ExpiringCards | ProblemDetails | None:
    """Expiring Cards Report

     Saved cards that expire between today and `within_days` from now (as
    the account updater last corrected them), soonest first, marking the ones
    autopay charges.

    Args:
        company (str): The company's own id
        within_days (int | Unset):  Default: 30.
        limit (int | Unset):  Default: 100.
        after (None | str | Unset): next_after of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExpiringCards | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            client=client,
            within_days=within_days,
            limit=limit,
            after=after,
        )
    ).parsed
