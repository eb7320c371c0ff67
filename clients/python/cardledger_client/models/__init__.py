"""Contains all the data models used in inputs/outputs"""

from .acknowledged import Acknowledged
from .add_card import AddCard
from .card import Card
from .card_ref import CardRef
from .customer_record import CustomerRecord
from .events import Events
from .health import Health
from .health_status import HealthStatus
from .history import History
from .history_item import HistoryItem
from .online_payments import OnlinePayments
from .online_payments_change import OnlinePaymentsChange
from .pay_invoice import PayInvoice
from .payment_methods import PaymentMethods
from .payment_record import PaymentRecord
from .payment_record_status import PaymentRecordStatus
from .payments import Payments
from .problem_details import ProblemDetails
from .problem_details_errors_type_0_item import ProblemDetailsErrorsType0Item
from .stored_event import StoredEvent
from .stored_event_data import StoredEventData

__all__ = (
    "Acknowledged",
    "AddCard",
    "Card",
    "CardRef",
    "CustomerRecord",
    "Events",
    "Health",
    "HealthStatus",
    "History",
    "HistoryItem",
    "OnlinePayments",
    "OnlinePaymentsChange",
    "PayInvoice",
    "PaymentMethods",
    "PaymentRecord",
    "PaymentRecordStatus",
    "Payments",
    "ProblemDetails",
    "ProblemDetailsErrorsType0Item",
    "StoredEvent",
    "StoredEventData",
)
