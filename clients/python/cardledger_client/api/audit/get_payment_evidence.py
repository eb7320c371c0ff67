from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.get_payment_evidence_format_type_0 import (
    GetPaymentEvidenceFormatType0,
)
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    company: str,
    customer: str,
    payment_id: str,
    *,
    format_: GetPaymentEvidenceFormatType0 | None | Unset = UNSET,
    accept: str | Unset = "application/json",
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(accept, Unset):
        headers["accept"] = accept

    params: dict[str, Any] = {}

    json_format_: None | str | Unset
    if isinstance(format_, Unset):
        json_format_ = UNSET
    elif isinstance(format_, str):
        json_format_ = format_
    else:
        json_format_ = format_
    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/companies/{company}/customers/{customer}/payments/{payment_id}/evidence".format(
            company=quote(str(company), safe=""),
            customer=quote(str(customer), safe=""),
            payment_id=quote(str(payment_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ProblemDetails:
    if response.status_code == 200:
        response_200 = response.json()
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
) -> Response[Any | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    company: str,
    customer: str,
    payment_id: str,
    *,
    client: AuthenticatedClient,
    format_: GetPaymentEvidenceFormatType0 | None | Unset = UNSET,
    accept: str | Unset = "application/json",
) -> Response[Any | ProblemDetails]:
    """Payment Evidence

     The payment's attempts and outcomes, the card as it was when charged
    (and every card tried), why that card, the consent an autopay charge was
    made under, the history up to the payment and the chain links with the
    signed checkpoint that pins them. HTML with `?format=html` or
    `Accept: text/html`, for printing.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        payment_id (str): The payment's id (`pay_...`), or an autopay charge's (`apc_...`)
        format_ (GetPaymentEvidenceFormatType0 | None | Unset):
        accept (str | Unset):  Default: 'application/json'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        payment_id=payment_id,
        format_=format_,
        accept=accept,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    company: str,
    customer: str,
    payment_id: str,
    *,
    client: AuthenticatedClient,
    format_: GetPaymentEvidenceFormatType0 | None | Unset = UNSET,
    accept: str | Unset = "application/json",
) -> Any | ProblemDetails | None:
    """Payment Evidence

     The payment's attempts and outcomes, the card as it was when charged
    (and every card tried), why that card, the consent an autopay charge was
    made under, the history up to the payment and the chain links with the
    signed checkpoint that pins them. HTML with `?format=html` or
    `Accept: text/html`, for printing.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        payment_id (str): The payment's id (`pay_...`), or an autopay charge's (`apc_...`)
        format_ (GetPaymentEvidenceFormatType0 | None | Unset):
        accept (str | Unset):  Default: 'application/json'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ProblemDetails
    """

    return sync_detailed(
        company=company,
        customer=customer,
        payment_id=payment_id,
        client=client,
        format_=format_,
        accept=accept,
    ).parsed


async def asyncio_detailed(
    company: str,
    customer: str,
    payment_id: str,
    *,
    client: AuthenticatedClient,
    format_: GetPaymentEvidenceFormatType0 | None | Unset = UNSET,
    accept: str | Unset = "application/json",
) -> Response[Any | ProblemDetails]:
    """Payment Evidence

     The payment's attempts and outcomes, the card as it was when charged
    (and every card tried), why that card, the consent an autopay charge was
    made under, the history up to the payment and the chain links with the
    signed checkpoint that pins them. HTML with `?format=html` or
    `Accept: text/html`, for printing.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        payment_id (str): The payment's id (`pay_...`), or an autopay charge's (`apc_...`)
        format_ (GetPaymentEvidenceFormatType0 | None | Unset):
        accept (str | Unset):  Default: 'application/json'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ProblemDetails]
    """

    kwargs = _get_kwargs(
        company=company,
        customer=customer,
        payment_id=payment_id,
        format_=format_,
        accept=accept,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    company: str,
    customer: str,
    payment_id: str,
    *,
    client: AuthenticatedClient,
    format_: GetPaymentEvidenceFormatType0 | None | Unset = UNSET,
    accept: str | Unset = "application/json",
) -> Any | ProblemDetails | None:
    """Payment Evidence

     The payment's attempts and outcomes, the card as it was when charged
    (and every card tried), why that card, the consent an autopay charge was
    made under, the history up to the payment and the chain links with the
    signed checkpoint that pins them. HTML with `?format=html` or
    `Accept: text/html`, for printing.

    Args:
        company (str): The company's own id
        customer (str): The customer's id in the company's systems
        payment_id (str): The payment's id (`pay_...`), or an autopay charge's (`apc_...`)
        format_ (GetPaymentEvidenceFormatType0 | None | Unset):
        accept (str | Unset):  Default: 'application/json'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ProblemDetails
    """

    return (
        await asyncio_detailed(
            company=company,
            customer=customer,
            payment_id=payment_id,
            client=client,
            format_=format_,
            accept=accept,
        )
    ).parsed
