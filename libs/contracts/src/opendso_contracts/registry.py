"""The one registry of subjects and streams.

Every subject on the bus comes from here: events and durable commands live in
one JetStream stream per context (``opendso.<context>.v1.<name>``); request/reply
queries live under ``opendso.rpc.`` so that no stream ever captures a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.protobuf.message import Message
from opendso.banking.v1 import banking_pb2 as banking
from opendso.collection.v1 import collection_pb2 as collection
from opendso.fx.v1 import fx_pb2 as fx
from opendso.imports.v1 import imports_pb2 as imports
from opendso.matching.v1 import matching_pb2 as matching
from opendso.messaging.v1 import messaging_pb2 as messaging
from opendso.portal.v1 import portal_pb2 as portal
from opendso.receivables.v1 import receivables_pb2 as receivables
from opendso.reporting.v1 import reporting_pb2 as reporting
from opendso.risk.v1 import risk_pb2 as risk
from opendso.system.v1 import health_pb2 as health


@dataclass(frozen=True)
class StreamDef:
    name: str
    context: str

    @property
    def subjects(self) -> list[str]:
        return [f"opendso.{self.context}.v1.>"]


STREAMS: tuple[StreamDef, ...] = (
    StreamDef("OPENDSO_RECEIVABLES", "receivables"),
    StreamDef("OPENDSO_IMPORTS", "imports"),
    StreamDef("OPENDSO_COLLECTION", "collection"),
    StreamDef("OPENDSO_MESSAGING", "messaging"),
    StreamDef("OPENDSO_BANKING", "banking"),
    StreamDef("OPENDSO_MATCHING", "matching"),
    StreamDef("OPENDSO_FX", "fx"),
    StreamDef("OPENDSO_RISK", "risk"),
)
DEADLETTER_STREAM = "OPENDSO_DEADLETTER"
# Files too large for a message (NATS caps payloads) travel through this
# JetStream object store bucket; commands carry the object's name.
UPLOADS_BUCKET = "OPENDSO_UPLOADS"
# How far each running import is (imports.v1.ImportProgress, by the command's progress_key): a JetStream
# key-value bucket in memory, each value kept a few minutes. Not events: nothing durable reads it.
IMPORT_PROGRESS_BUCKET = "OPENDSO_IMPORT_PROGRESS"
DEADLETTER_PREFIX = "opendso.deadletter"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _context_of(message_type: type[Message]) -> str:
    # "opendso.receivables.v1.ItemOpened" -> "receivables"
    return message_type.DESCRIPTOR.full_name.split(".")[1]


def _event_subject(message_type: type[Message]) -> str:
    return f"opendso.{_context_of(message_type)}.v1.{_snake(message_type.DESCRIPTOR.name)}"


# Durable messages: events, and commands that must survive a restart.
DURABLE: tuple[type[Message], ...] = (
    receivables.CustomerCreated,
    receivables.CustomerChanged,
    receivables.ItemOpened,
    receivables.ItemChanged,
    receivables.ItemClosed,
    receivables.CustomersChanged,
    receivables.ItemsChanged,
    receivables.ContactsChanged,
    receivables.EntitiesChanged,
    imports.FileImported,
    banking.BankTransactionReceived,
    banking.BankTransactionsReceived,
    banking.BankStatementImported,
    matching.PaymentAllocated,
    matching.AllocationReversed,
    matching.TransactionQueued,
    collection.TaskCreated,
    collection.TaskChanged,
    collection.ItemsQualified,
    collection.PromiseBroken,
    collection.PaymentPlanCreated,
    collection.PaymentPlanCancelled,
    collection.PaymentPlanCompleted,
    collection.PaymentPlanBroken,
    collection.CaseEscalated,
    collection.CaseWithdrawn,
    collection.ScenarioChanged,
    collection.PenaltyIssued,
    collection.StatusCatalogueChanged,
    collection.SendingHoursChanged,
    collection.ItemCommented,
    collection.PaymentDeclared,
    collection.DisputeQuestionAnswered,
    collection.PartnerOutcomeRecorded,
    messaging.SendMessage,
    messaging.MessageSent,
    messaging.MessageFailed,
    messaging.MessageDeliveryChanged,
    messaging.CancelMessage,
    messaging.MessageCancelled,
    fx.RatesPublished,
    risk.AlertRaised,
)

SUBJECTS: dict[type[Message], str] = {t: _event_subject(t) for t in DURABLE}
_BY_SUBJECT: dict[str, type[Message]] = {s: t for t, s in SUBJECTS.items()}


@dataclass(frozen=True)
class QueryDef:
    subject: str
    request: type[Message]
    reply: type[Message]


def _query(request: type[Message], reply: type[Message]) -> QueryDef:
    subject = f"opendso.rpc.{_context_of(request)}.v1.{_snake(request.DESCRIPTOR.name)}"
    return QueryDef(subject, request, reply)


QUERIES: dict[type[Message], QueryDef] = {
    q.request: q
    for q in (
        _query(receivables.GetCustomerAccount, receivables.CustomerAccount),
        _query(receivables.ListEntities, receivables.EntityList),
        _query(receivables.SearchCustomers, receivables.CustomerSearchResults),
        _query(imports.ImportReceivablesFile, imports.ImportReport),
        _query(imports.GetImportReport, imports.ImportReport),
        _query(imports.ProposeMapping, imports.MappingProposal),
        _query(imports.SaveMappingProfile, imports.MappingProfile),
        _query(banking.ImportBankStatement, banking.StatementReport),
        _query(matching.ListReviewQueue, matching.ReviewQueue),
        _query(matching.GetTransactionMatch, matching.ReviewEntry),
        _query(matching.ConfirmMatch, matching.MatchDecision),
        _query(matching.ReverseAllocation, matching.MatchDecision),
        _query(collection.GetAgenda, collection.Agenda),
        _query(collection.GetCustomerScenario, collection.CustomerScenario),
        _query(collection.UpdateTasks, collection.TasksUpdated),
        _query(collection.QualifyItems, collection.ItemsQualified),
        _query(collection.CreatePaymentPlan, collection.PaymentPlanCreated),
        _query(collection.ListPaymentPlans, collection.PaymentPlans),
        _query(collection.CancelPaymentPlan, collection.PaymentPlanCancelled),
        _query(collection.GetNextBestAction, collection.NextBestAction),
        _query(collection.EscalateCase, collection.CaseEscalated),
        _query(collection.WithdrawEscalation, collection.CaseWithdrawn),
        _query(collection.ListScenarios, collection.Scenarios),
        _query(collection.GetScenario, collection.ScenarioDefinition),
        _query(collection.SaveScenario, collection.ScenarioSaved),
        _query(collection.DuplicateScenario, collection.ScenarioSaved),
        _query(collection.DeleteScenario, collection.ScenarioDeleted),
        _query(collection.SetPenaltySettings, collection.PenaltySettingsSet),
        _query(collection.GetPenalties, collection.Penalties),
        _query(collection.GetPenaltySettings, collection.PenaltySettingsSet),
        _query(collection.GetStatusCatalogue, collection.StatusCatalogue),
        _query(collection.ReplaceStatusCatalogue, collection.StatusCatalogueReplaced),
        _query(collection.GetSendingHours, collection.SendingHours),
        _query(collection.SetSendingHours, collection.SendingHoursSet),
        _query(collection.CommentItem, collection.ItemCommented),
        _query(collection.DeclarePayment, collection.PaymentDeclared),
        _query(collection.AnswerDisputeQuestion, collection.DisputeQuestionAnswered),
        _query(collection.ListPartnerCases, collection.PartnerCases),
        _query(collection.RecordPartnerOutcome, collection.PartnerOutcomeRecorded),
        _query(collection.ListDisputes, collection.Disputes),
        _query(collection.ListPromises, collection.Promises),
        _query(portal.ListCustomerDocuments, portal.CustomerDocuments),
        _query(portal.GetCustomerDocument, portal.CustomerDocument),
        _query(messaging.ListOutbox, messaging.OutboxListing),
        _query(messaging.RecordDeliveryStatus, messaging.DeliveryStatusRecorded),
        _query(messaging.ListTemplates, messaging.Templates),
        _query(messaging.GetTemplate, messaging.MessageTemplate),
        _query(messaging.SaveTemplate, messaging.TemplateSaved),
        _query(messaging.DeleteTemplate, messaging.TemplateDeleted),
        _query(messaging.PreviewTemplate, messaging.TemplatePreview),
        _query(messaging.GetPaymentQr, messaging.PaymentQrCode),
        _query(messaging.StoreCustomerDocument, messaging.CustomerDocumentStored),
        _query(reporting.GetAging, reporting.AgingReport),
        _query(reporting.GetTimeline, reporting.Timeline),
        _query(reporting.GetAgingBalance, reporting.AgingBalance),
        _query(reporting.GetDso, reporting.DsoReport),
        _query(reporting.GetDsoSeries, reporting.DsoSeries),
        _query(reporting.GetCashReceipts, reporting.CashReceipts),
        _query(reporting.GetCashForecast, reporting.CashForecast),
        _query(reporting.GetDisputeReport, reporting.DisputeReport),
        _query(reporting.GetItemStatusReport, reporting.ItemStatusReport),
        _query(reporting.GetCollectorActivity, reporting.CollectorActivity),
        _query(reporting.ExportReport, reporting.ReportFile),
        _query(fx.GetRate, fx.Rate),
        _query(fx.Convert, fx.Conversion),
        _query(fx.ImportRates, fx.RatesImported),
        _query(fx.SetManualRate, fx.Rate),
        _query(risk.GetRiskProfile, risk.RiskProfile),
        _query(risk.GetPredictedDates, risk.PredictedDates),
        _query(risk.SetExternalRating, risk.ExternalRatingSet),
        _query(risk.SetCreditLimit, risk.CreditLimitSet),
        _query(risk.RemoveCreditLimit, risk.CreditLimitRemoved),
        _query(risk.ListCreditLimits, risk.CreditLimits),
        _query(risk.SetInsuranceCover, risk.InsuranceCoverSet),
        _query(risk.RemoveInsuranceCover, risk.InsuranceCoverRemoved),
        _query(risk.ListInsuranceCovers, risk.InsuranceCovers),
        _query(risk.GetRiskAgenda, risk.RiskAgenda),
        _query(risk.ListAlerts, risk.Alerts),
        _query(risk.AcknowledgeAlert, risk.AlertAcknowledged),
        _query(risk.GetRiskConfig, risk.RiskConfig),
        _query(risk.SetRiskConfig, risk.RiskConfig),
    )
}


def subject_for(message_type: type[Message]) -> str:
    """The subject a durable message type is published on; KeyError names an unregistered type."""
    try:
        return SUBJECTS[message_type]
    except KeyError:
        raise KeyError(f"{message_type.DESCRIPTOR.full_name} is not a registered durable message") from None


def type_for(subject: str) -> type[Message]:
    try:
        return _BY_SUBJECT[subject]
    except KeyError:
        raise KeyError(f"no message type registered for subject {subject!r}") from None


def stream_for(subject: str) -> StreamDef:
    for stream in STREAMS:
        if subject.startswith(f"opendso.{stream.context}.v1."):
            return stream
    raise KeyError(f"no stream captures subject {subject!r}")


def query_for(request_type: type[Message]) -> QueryDef:
    try:
        return QUERIES[request_type]
    except KeyError:
        raise KeyError(f"{request_type.DESCRIPTOR.full_name} is not a registered query") from None


def health_subject(service: str) -> str:
    return f"opendso.rpc.system.v1.check_health.{service}"


HEALTH_REQUEST = health.CheckHealth
HEALTH_REPLY = health.HealthStatus
