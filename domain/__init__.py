"""cardledger's domain: aggregates, events, rules and the application service.

Imports nothing but the standard library and ``eventsourcing``.
"""

from domain.company import Company
from domain.customer import Customer
from domain.processor import CardDetails, ChargeResult, Processor
from domain.provenance import Provenance
from domain.service import CardLedger, Outcome

__all__ = ["CardDetails", "CardLedger", "ChargeResult", "Company", "Customer",
           "Outcome", "Processor", "Provenance"]
