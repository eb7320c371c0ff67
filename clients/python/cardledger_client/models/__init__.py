"""Contains all the data models used in inputs/outputs"""

from .acknowledged import Acknowledged
from .add_card import AddCard
from .attempt_out import AttemptOut
from .attempt_out_outcome import AttemptOutOutcome
from .attempt_out_selection import AttemptOutSelection
from .autopay_change import AutopayChange
from .autopay_charge_in import AutopayChargeIn
from .autopay_charge_out import AutopayChargeOut
from .autopay_charge_out_status import AutopayChargeOutStatus
from .autopay_settings_body import AutopaySettingsBody
from .autopay_state import AutopayState
from .card import Card
from .card_ref import CardRef
from .card_setup import CardSetup
from .card_setup_processor import CardSetupProcessor
from .consent_in import ConsentIn
from .consent_in_channel import ConsentInChannel
from .consent_out import ConsentOut
from .customer_record import CustomerRecord
from .erasure import Erasure
from .events import Events
from .expiring_card_out import ExpiringCardOut
from .expiring_cards import ExpiringCards
from .get_payment_evidence_format_type_0 import GetPaymentEvidenceFormatType0
from .health import Health
from .health_status import HealthStatus
from .history import History
from .history_item import HistoryItem
from .key_info import KeyInfo
from .key_info_role import KeyInfoRole
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
from .test_card_choice import TestCardChoice
from .verification import Verification

__all__ = (
    "Acknowledged",
    "AddCard",
    "AttemptOut",
    "AttemptOutOutcome",
    "AttemptOutSelection",
    "AutopayChange",
    "AutopayChargeIn",
    "AutopayChargeOut",
    "AutopayChargeOutStatus",
    "AutopaySettingsBody",
    "AutopayState",
    "Card",
    "CardRef",
    "CardSetup",
    "CardSetupProcessor",
    "ConsentIn",
    "ConsentInChannel",
    "ConsentOut",
    "CustomerRecord",
    "Erasure",
    "Events",
    "ExpiringCardOut",
    "ExpiringCards",
    "GetPaymentEvidenceFormatType0",
    "Health",
    "HealthStatus",
    "History",
    "HistoryItem",
    "KeyInfo",
    "KeyInfoRole",
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
    "TestCardChoice",
    "Verification",
)
