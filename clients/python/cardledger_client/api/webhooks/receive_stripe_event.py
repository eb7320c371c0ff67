from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.acknowledged import Acknowledged
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    stripe_signature: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(stripe_signature, Unset):
        headers["Stripe-Signature"] = stripe_signature

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/stripe",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Acknowledged | ProblemDetails:
    if response.status_code == 200:
        response_200 = Acknowledged.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ProblemDetails.from_dict(response.json())

        return response_400

    if response.status_code == 408:
        response_408 = ProblemDetails.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = ProblemDetails.from_dict(response.json())

        return response_409

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
) -> Response[Acknowledged | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    stripe_signature: None | str | Unset = UNSET,
) -> Response[Acknowledged | ProblemDetails]:
    """Stripe Webhook

     `payment_method.automatically_updated` and `payment_method.updated`
    record a CardUpdated (actor system:processor), or a CardUpdateIgnored when
    the event is older (its `created`) than the card's last update; other
    events are acknowledged.

    Args:
        stripe_signature (None | str | Unset): Stripe's signature of the body (t=...,v1=...)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Acknowledged | ProblemDetails]
    """

    kwargs = _get_kwargs(
        stripe_signature=stripe_signature,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    stripe_signature: None | str | Unset = UNSET,
) -> Acknowledged | ProblemDetails | None:
    """Stripe Webhook

     `payment_method.automatically_updated` and `payment_method.updated`
    record a CardUpdated (actor system:processor), or a CardUpdateIgnored when
    the event is older (its `created`) than the card's last update; other
    events are acknowledged.

    Args:
        stripe_signature (None | str | Unset): Stripe's signature of the body (t=...,v1=...)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Acknowledged | ProblemDetails
    """

    return sync_detailed(
        client=client,
        stripe_signature=stripe_signature,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    stripe_signature: None | str | Unset = UNSET,
) -> Response[Acknowledged | ProblemDetails]:
    """Stripe Webhook

     `payment_method.automatically_updated` and `payment_method.updated`
    record a CardUpdated (actor system:processor), or a CardUpdateIgnored when
    the event is older (its `created`) than the card's last update; other
    events are acknowledged.

    Args:
        stripe_signature (None | str | Unset): Stripe's signature of the body (t=...,v1=...)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Acknowledged | ProblemDetails]
    """

    kwargs = _get_kwargs(
        stripe_signature=stripe_signature,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    stripe_signature: None | str | Unset = UNSET,
) -> Acknowledged | ProblemDetails | None:
    """Stripe Webhook

     `payment_method.automatically_updated` and `payment_method.updated`
    record a CardUpdated (actor system:processor), or a CardUpdateIgnored when
    the event is older (its `created`) than the card's last update; other
    events are acknowledged.

    Args:
        stripe_signature (None | str | Unset): Stripe's signature of the body (t=...,v1=...)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Acknowledged | ProblemDetails
    """

    return (
        await asyncio_detailed(
            client=client,
            stripe_signature=stripe_signature,
        )
    ).parsed
