#!/usr/bin/env python3
"""Checks Services/Gateway/openapi.yaml against the Swift sources.

1. The document is valid OpenAPI 3.1 (openapi-spec-validator).
2. Its operations and the routes the services register are the same: every
   `group.<method>("path", use: …)` in Services/*/ (Hummingbird's `:id` written `{id}`, under
   `/api/v1/`; a service's public routes — those its `ServiceDefinition(publicRoutes:)` registers,
   directly or through the types it calls `.add…(to: group)` on — under
   `/api/v1/public/<apiContext>/`, where ServiceRunner mounts them), plus the gateway's
   `router.get("openapi.yaml")`; the gateway's proxy, which registers `"\\(context)/**"`, is skipped.
3. Every operation has an operationId (unique), one of the known tags, a summary, a 2xx response
   with a schema, the X-Request-Id header on every response, the error responses its shape calls
   for, and the right security (login, refresh and the document itself are public). Request bodies
   are JSON, except the few that are files (CSV or .xlsx imports, ADF XML): those are strings with an
   example, and answer no 400 (nothing reads them as JSON); and photo uploads, binary strings that
   answer 415 for another type. A 304 (a conditional GET of a public read, whose 200 carries an ETag) has no
   body and carries the ETag. Path parameters are uuids, or names from an enum. The rule for
   query strings — a parameter sent empty is the same as one left out — is in every schema: an
   optional query parameter's schema admits the empty string (`EmptyQueryValue`), a required
   one's does not (sent empty, it is missing: a 422).
4. The schemas of the request and response types list exactly the properties of their Swift
   types, with `required` matching the non-optional ones, and enums list the Swift raw values.
5. A schema that carries a data dictionary's codes (G5) lists exactly the catalogue's codes
   (Shared/Contracts/DataDictionaries.swift), or is a plain string naming an open set.

Usage: python3 Tests/OpenAPI/check_openapi.py [path/to/openapi.yaml]
Needs: pip install openapi-spec-validator pyyaml
Exits 0 when everything agrees, 1 (printing every disagreement) otherwise.
"""
from __future__ import annotations

import pathlib
import re
import sys

try:
    import yaml
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename
except ImportError as error:  # pragma: no cover
    sys.exit(f"missing Python package ({error}); run: pip install openapi-spec-validator pyyaml")

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "Services" / "Gateway" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
TAGS = {"Auth", "Identity", "AuditLog", "AfterSales", "CustomerService", "Leads", "Prospects", "Coupons", "Marketing",
        "Documentation"}
PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"), ("GET", "/openapi.yaml"),
          ("GET", "/.well-known/jwks.json"),
          ("GET", "/api/v1/public/coupons/claims/{token}"), ("POST", "/api/v1/public/coupons/claims/{token}"),
          ("GET", "/api/v1/public/marketing/news"), ("GET", "/api/v1/public/marketing/news/{id}"),
          ("GET", "/api/v1/public/marketing/news/{id}/cover"), ("GET", "/api/v1/public/marketing/promotions"),
          ("GET", "/api/v1/public/marketing/events/{id}"), ("POST", "/api/v1/public/marketing/events/{id}/registrations"),
          ("GET", "/api/v1/public/marketing/wheels/{id}"), ("POST", "/api/v1/public/marketing/wheels/{id}/draws"),
          ("GET", "/api/v1/public/marketing/wheels/{id}/draws/{drawId}"),
          ("POST", "/api/v1/public/marketing/sms/receipts"), ("POST", "/api/v1/public/marketing/sms/replies")}
# The prefix the gateway forwards without a token (a customer's phone): no 401 there, and a 429 when a
# client sends too many requests.
PUBLIC_PREFIX = "/api/v1/public/"
# The few operations with more than one success: (METHOD, path) → their 2xx codes. A claim from the
# public pool is the caller's at once (200) or waits for the former team leader's approval (202).
SUCCESSES = {("POST", "/api/v1/prospects/public-pool/{id}/claim"): {"200", "202"},
             # A registration for an event is new (201), or the mobile's earlier one (200).
             ("POST", "/api/v1/public/marketing/events/{id}/registrations"): {"200", "201"},
             # An imported SMS list makes a send (201), or on a dry run only reports (200); a mobile put on the
             # opt-out list is a new entry (201), or the entry it already had (200).
             ("POST", "/api/v1/marketing/sms/sends/import"): {"200", "201"},
             ("POST", "/api/v1/marketing/sms/opt-outs"): {"200", "201"}}
# POSTs that create something without a body to create it from: (METHOD, path). Taking a prospect from
# the defeat pool needs nothing but the pool entry's id (201, a prospect of the caller's store).
BODYLESS_CREATES = {("POST", "/api/v1/prospects/defeat-pool/{id}/claim")}
# Request bodies that are not JSON: files the operation reads itself (lead and traffic imports, ADF intake).
FILE_BODY_TYPES = {"text/csv", "application/xml", "text/xml", "application/octet-stream"}
# … and photos or scans sent as the body (`format: binary`), whose declared type is checked against their
# first bytes: another type is a 415.
UPLOAD_BODY_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}

# Schema name → (Swift file, type name[, options]). Options: "exclude" — Swift properties the schema
# leaves out on purpose; "required" — optional Swift properties the schema requires on purpose.
TYPES = {
    "Problem": ("Shared/ServiceKit/HTTP/ProblemDetails.swift", "ProblemDetails"),
    "FieldError": ("Shared/ServiceKit/HTTP/ProblemDetails.swift", "FieldError"),
    "Page": ("Shared/ServiceKit/HTTP/Paging.swift", "Page"),
    # gateway
    "LoginRequest": ("Services/Gateway/AuthRoutes.swift", "LoginRequest"),
    "RefreshRequest": ("Services/Gateway/AuthRoutes.swift", "RefreshRequest"),
    "LogoutRequest": ("Services/Gateway/AuthRoutes.swift", "LogoutRequest"),
    "LogoutResult": ("Services/Gateway/AuthRoutes.swift", "LogoutResult"),
    "JsonWebKeySet": ("Shared/ServiceKit/Auth/Keys/SigningKeySet.swift", "SigningKeySet"),
    # The private part `d` is never published.
    "JsonWebKey": ("Shared/ServiceKit/Auth/Keys/SigningKeySet.swift", "SigningKey", {"exclude": {"d"}}),
    "SwitchStoreRequest": ("Services/Gateway/AuthRoutes.swift", "SwitchStoreRequest"),
    "UserSummary": ("Services/Gateway/AuthRoutes.swift", "UserSummary"),
    "Session": ("Services/Gateway/AuthRoutes.swift", "Session"),
    "StoreSummary": ("Services/Gateway/SessionStore.swift", "StoreSummary"),
    "Store": ("Services/Gateway/AdminModels.swift", "StoreView"),
    "NewStore": ("Services/Gateway/AdminModels.swift", "NewStore"),
    "StoreChange": ("Services/Gateway/AdminModels.swift", "StoreChange"),
    "Team": ("Services/Gateway/AdminModels.swift", "TeamView"),
    "DictionarySet": ("Services/Gateway/Dictionaries/DictionaryRoutes.swift", "SetView"),
    "DictionaryEntryChange": ("Services/Gateway/Dictionaries/DictionaryRoutes.swift", "EntryChange"),
    "NewTeam": ("Services/Gateway/AdminModels.swift", "NewTeam"),
    "Role": ("Services/Gateway/AdminModels.swift", "RoleView"),
    "NewRole": ("Services/Gateway/AdminModels.swift", "NewRole"),
    "RoleChange": ("Services/Gateway/AdminModels.swift", "RoleChange"),
    "PermissionList": ("Services/Gateway/AdminModels.swift", "PermissionList"),
    "User": ("Services/Gateway/AdminModels.swift", "UserView"),
    "NewUser": ("Services/Gateway/AdminModels.swift", "NewUser"),
    "UserChange": ("Services/Gateway/AdminModels.swift", "UserChange"),
    "AuditLogEntry": ("Services/Gateway/AuditLog.swift", "Row"),
    # customer service
    "VisitTemplate": ("Services/CustomerService/VisitTemplate.swift", "VisitTemplate"),
    "Question": ("Services/CustomerService/VisitTemplate.swift", "Question"),
    "Option": ("Services/CustomerService/VisitTemplate.swift", "Option"),
    "TemplateDraft": ("Services/CustomerService/VisitTemplate.swift", "TemplateDraft"),
    "QuestionDraft": ("Services/CustomerService/VisitTemplate.swift", "QuestionDraft"),
    "OptionDraft": ("Services/CustomerService/VisitTemplate.swift", "OptionDraft"),
    "TemplateCopyRequest": ("Services/CustomerService/TemplateRoutes.swift", "CopyRequest"),
    "VisitTask": ("Services/CustomerService/VisitTaskQueries.swift", "VisitTaskView"),
    "AssignVisitTaskRequest": ("Services/CustomerService/VisitTaskRoutes.swift", "AssignRequest"),
    "BulkAssignRequest": ("Services/CustomerService/VisitTaskRoutes.swift", "BulkAssignRequest"),
    "BulkAssignResult": ("Services/CustomerService/VisitTaskRoutes.swift", "BulkAssignResult"),
    "VisitAnswer": ("Services/CustomerService/VisitRoutes.swift", "Answer"),
    "VisitAnswerInput": ("Services/CustomerService/VisitRoutes.swift", "Answer"),
    "VisitRequest": ("Services/CustomerService/VisitRoutes.swift", "VisitRequest"),
    "Visit": ("Services/CustomerService/VisitRoutes.swift", "VisitView"),
    "VisitList": ("Services/CustomerService/VisitRoutes.swift", "VisitList"),
    "ComplaintSummary": ("Services/CustomerService/Complaint.swift", "ComplaintView", {"exclude": {"entries"}}),
    "Complaint": ("Services/CustomerService/Complaint.swift", "ComplaintView", {"required": {"entries"}}),
    "ComplaintEntry": ("Services/CustomerService/Complaint.swift", "ComplaintEntryView"),
    "NewComplaint": ("Services/CustomerService/Complaint.swift", "NewComplaint"),
    "ComplaintEntryRequest": ("Services/CustomerService/ComplaintRoutes.swift", "EntryRequest"),
    "ComplaintAssignRequest": ("Services/CustomerService/ComplaintRoutes.swift", "AssignRequest"),
    "ComplaintTransitionRequest": ("Services/CustomerService/ComplaintRoutes.swift", "TransitionRequest"),
    "VisitStatistics": ("Services/CustomerService/VisitStatistics.swift", "VisitStatistics"),
    "QuestionStatistics": ("Services/CustomerService/VisitStatistics.swift", "QuestionStatistics"),
    "AnswerCount": ("Services/CustomerService/VisitStatistics.swift", "AnswerCount"),
    # after-sales
    "Person": ("Shared/Contracts/CommonTypes.swift", "Person"),
    "PersonInput": ("Shared/Contracts/CommonTypes.swift", "Person"),
    "Vehicle": ("Services/AfterSales/Vehicles/Vehicle.swift", "VehicleView"),
    "VehiclePerson": ("Services/AfterSales/Vehicles/VehiclePerson.swift", "VehiclePerson"),
    "VehiclePersonInput": ("Services/AfterSales/Vehicles/VehiclePerson.swift", "VehiclePerson"),
    "NewVehicle": ("Services/AfterSales/Vehicles/NewVehicle.swift", "NewVehicle"),
    "VehicleChange": ("Services/AfterSales/Vehicles/VehicleChange.swift", "VehicleChange"),
    "AfterSalesSettings": ("Services/AfterSales/Settings/AfterSalesSettings.swift", "AfterSalesSettings"),
    "AfterSalesSettingsInput": ("Services/AfterSales/Settings/AfterSalesSettings.swift", "AfterSalesSettings"),
    "RepairOrder": ("Services/AfterSales/RepairOrders/RepairOrder.swift", "RepairOrderView"),
    "NewRepairOrder": ("Services/AfterSales/RepairOrders/RepairOrder.swift", "NewRepairOrder"),
    "RepairOrderCompletion": ("Services/AfterSales/RepairOrders/RepairOrder.swift", "RepairOrderCompletion"),
    "RenewalSettings": ("Services/AfterSales/Renewals/RenewalSettings.swift", "RenewalSettings"),
    "RenewalSettingsInput": ("Services/AfterSales/Renewals/RenewalSettings.swift", "RenewalSettings"),
    "RenewalTask": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalTaskView"),
    "InsuranceRenewal": ("Services/AfterSales/Renewals/Renewal.swift", "InsuranceRenewalView"),
    "RenewalFollowUp": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalFollowUpView"),
    "RenewalAssignment": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalAssignment"),
    "RenewalFollowUpInput": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalFollowUpInput"),
    "RenewalInput": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalInput"),
    # leads
    "Lead": ("Services/Leads/Lead.swift", "LeadView"),
    "NewLead": ("Services/Leads/Lead.swift", "NewLead"),
    "LeadIntake": ("Services/Leads/Lead.swift", "LeadIntake"),
    "DuplicateLead": ("Services/Leads/Lead.swift", "DuplicateLeadView"),
    "LeadAssignRequest": ("Services/Leads/LeadRoutes.swift", "AssignRequest"),
    "LeadAutoAssignRequest": ("Services/Leads/LeadRoutes.swift", "AutoAssignRequest"),
    "LeadAssignment": ("Services/Leads/LeadRoutes.swift", "Assignment"),
    "LeadAssignResult": ("Services/Leads/LeadRoutes.swift", "AssignResult"),
    "LeadFollowUpRequest": ("Services/Leads/LeadRoutes.swift", "FollowUpRequest"),
    "LeadFollowUp": ("Services/Leads/LeadRoutes.swift", "FollowUpView"),
    "LeadFollowUpList": ("Services/Leads/LeadRoutes.swift", "FollowUpList"),
    "LeadDefeatRequest": ("Services/Leads/LeadRoutes.swift", "DefeatRequest"),
    "LeadTask": ("Services/Leads/LeadTaskRoutes.swift", "TaskView"),
    "LeadInterval": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Interval"),
    "LeadIntervalInput": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Interval"),
    "LeadRules": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Rules"),
    "LeadRulesInput": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Rules"),
    "LeadConsultant": ("Services/Leads/LeadSettingsRoutes.swift", "ConsultantSetting"),
    "LeadConsultantList": ("Services/Leads/LeadSettingsRoutes.swift", "ConsultantList"),
    "LeadConsultantChange": ("Services/Leads/LeadSettingsRoutes.swift", "ConsultantChange"),
    "LeadImportReport": ("Services/Leads/LeadImport.swift", "LeadImportReport"),
    "LeadImportRowResult": ("Services/Leads/LeadImport.swift", "RowResult"),
    # An ADF document's report is an import's report, one result per prospect.
    "ADFIntakeReport": ("Services/Leads/LeadImport.swift", "LeadImportReport"),
    "ADFProspectResult": ("Services/Leads/LeadImport.swift", "RowResult"),
    # prospects
    "Prospect": ("Services/Prospects/Prospect.swift", "ProspectView"),
    "NewTraffic": ("Services/Prospects/Prospect.swift", "NewTraffic"),
    "TrafficIntake": ("Services/Prospects/Prospect.swift", "TrafficIntake"),
    "Traffic": ("Services/Prospects/Prospect.swift", "TrafficView"),
    "ProspectAssignRequest": ("Services/Prospects/ProspectRoutes.swift", "AssignRequest"),
    "ProspectExtendRequest": ("Services/Prospects/ProspectRoutes.swift", "ExtendRequest"),
    "ProspectSelection": ("Services/Prospects/ProspectRoutes.swift", "ProspectSelection"),
    "ProspectDefeatRequest": ("Services/Prospects/ProspectRoutes.swift", "DefeatRequest"),
    "ProspectDecisionRequest": ("Services/Prospects/ProspectRoutes.swift", "DecisionRequest"),
    "ChangedProspects": ("Services/Prospects/ProspectRoutes.swift", "Changed"),
    "ProspectNextPlan": ("Services/Prospects/FollowUpRoutes.swift", "NextPlan"),
    "ProspectFollowUpRequest": ("Services/Prospects/FollowUpRoutes.swift", "FollowUpRequest"),
    "ProspectFollowUp": ("Services/Prospects/FollowUpRoutes.swift", "FollowUpView"),
    "ProspectTask": ("Services/Prospects/ProspectTaskRoutes.swift", "TaskView"),
    "ProspectInterval": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Interval"),
    "ProspectIntervalInput": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Interval"),
    "ProspectRules": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Rules"),
    "ProspectRulesInput": ("Shared/ServiceKit/FollowUp/FollowUpRules.swift", "Rules"),
    "ProspectSettings": ("Services/Prospects/ProspectSettings.swift", "ProspectSettings"),
    "ProspectSettingsInput": ("Services/Prospects/ProspectSettings.swift", "ProspectSettings"),
    "PoolReleaseRequest": ("Services/Prospects/PublicPoolRoutes.swift", "ReleaseRequest"),
    "PoolAssignRequest": ("Services/Prospects/PublicPoolRoutes.swift", "PoolAssignRequest"),
    "PoolTaking": ("Services/Prospects/PublicPoolRoutes.swift", "Taking"),
    "PoolTakingList": ("Services/Prospects/PublicPoolRoutes.swift", "TakingList"),
    "PoolReleased": ("Services/Prospects/PublicPoolRoutes.swift", "Released"),
    "PoolClaim": ("Services/Prospects/PublicPoolRoutes.swift", "ClaimView"),
    "DefeatPoolEntry": ("Services/Prospects/DefeatPoolRoutes.swift", "Entry"),
    "DefeatPoolClaimed": ("Services/Prospects/DefeatPoolRoutes.swift", "Claimed"),
    "SalesOrder": ("Services/Prospects/SalesOrders.swift", "OrderView"),
    "TrafficImportReport": ("Services/Prospects/TrafficImport.swift", "TrafficImportReport"),
    "TrafficImportRowResult": ("Services/Prospects/TrafficImport.swift", "RowResult"),
    "TestDriveRoute": ("Services/Prospects/TestDrive.swift", "TestDriveRouteView"),
    "NewTestDriveRoute": ("Services/Prospects/TestDrive.swift", "TestDriveRouteRequest",
                          {"required": {"name", "distanceKm", "minutes"}}),
    "TestDriveRouteChange": ("Services/Prospects/TestDrive.swift", "TestDriveRouteRequest"),
    "TestDrive": ("Services/Prospects/TestDrive.swift", "TestDriveView"),
    "NewTestDrive": ("Services/Prospects/TestDrive.swift", "NewTestDrive"),
    "TestDriveChange": ("Services/Prospects/TestDrive.swift", "TestDriveChange"),
    "TestDriveFinishRequest": ("Services/Prospects/TestDriveRoutes.swift", "Finish"),
    "TestDriveCancelRequest": ("Services/Prospects/TestDriveRoutes.swift", "Cancel"),
    "Proposal": ("Services/Prospects/Proposal.swift", "ProposalView"),
    "ProposalQuote": ("Services/Prospects/Proposal.swift", "ProposalQuote"),
    "NewProposal": ("Services/Prospects/Proposal.swift", "NewProposal"),
    # coupons
    "CouponDefinitionDraft": ("Services/Coupons/Definitions/CouponDefinition.swift", "CouponDefinitionDraft",
                              {"required": {"kind", "validity", "usableIn"}}),
    "CouponDefinition": ("Services/Coupons/Definitions/CouponDefinition.swift", "CouponDefinitionView"),
    "CouponCounts": ("Services/Coupons/Definitions/CouponDefinition.swift", "CouponCounts"),
    "CouponIssueTaskDraft": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskDraft", {"required": {"kind", "mode"}}),
    "CouponTaskRecipientInput": ("Services/Coupons/Tasks/IssueTask.swift", "RecipientDraft"),
    "CouponIssueTask": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskView"),
    "CouponTaskRecipient": ("Services/Coupons/Tasks/IssueTask.swift", "Recipient"),
    "CouponIssueTaskResult": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskResult"),
    "CouponTaskRejection": ("Services/Coupons/Tasks/IssueTaskRoutes.swift", "Rejection"),
    "Coupon": ("Services/Coupons/Ledger/Coupon.swift", "CouponView"),
    "CouponRedemptionRequest": ("Services/Coupons/Redemptions/RedemptionRoutes.swift", "RedeemRequest",
                                {"required": {"orderKind"}}),
    "CouponUndoRequest": ("Services/Coupons/Redemptions/RedemptionRoutes.swift", "UndoRequest"),
    "CouponRevocation": ("Services/Coupons/Revocations/Revocation.swift", "RevocationView"),
    "CouponRevocationRequest": ("Services/Coupons/Revocations/RevocationRoutes.swift", "RevocationRequest"),
    # An approval reads no body; a rejection needs the note.
    "CouponRevocationRejection": ("Services/Coupons/Revocations/RevocationRoutes.swift", "Decision", {"required": {"note"}}),
    "StoreCouponSettings": ("Services/Coupons/Settings/CouponSettings.swift", "StoreCouponSettings"),
    "GroupCouponSettings": ("Services/Coupons/Settings/CouponSettings.swift", "GroupCouponSettings"),
    "CouponClaimOffer": ("Services/Coupons/Tasks/ClaimRoutes.swift", "Offer"),
    "CouponClaimRequest": ("Services/Coupons/Tasks/ClaimRoutes.swift", "ClaimRequest"),
    "CouponClaimed": ("Services/Coupons/Tasks/ClaimRoutes.swift", "Claimed"),
    "ClaimedCoupon": ("Services/Coupons/Tasks/ClaimRoutes.swift", "ClaimedCoupon"),
    "CouponConditions": ("Services/Coupons/Customers/CouponConditions.swift", "CouponConditions"),
    "CouponProspectConditions": ("Services/Coupons/Customers/CouponConditions.swift", "ProspectConditions"),
    "CouponOwnerConditions": ("Services/Coupons/Customers/CouponConditions.swift", "OwnerConditions"),
    "CouponTaskPreview": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskPreview"),
    "CouponRecipientListReport": ("Services/Coupons/Tasks/RecipientList.swift", "RecipientListReport"),
    "CouponRecipientListRow": ("Services/Coupons/Tasks/RecipientList.swift", "RowResult"),
    "CouponReferralRule": ("Services/Coupons/Referrals/ReferralRule.swift", "ReferralRule"),
    # marketing
    "NewsArticleDraft": ("Services/Marketing/News/NewsArticle.swift", "NewsArticleDraft", {"required": {"category"}}),
    "NewsArticle": ("Services/Marketing/News/NewsArticle.swift", "NewsArticleView"),
    "PublicNewsSummary": ("Services/Marketing/News/NewsArticle.swift", "PublicNewsSummary"),
    "PublicNewsArticle": ("Services/Marketing/News/NewsArticle.swift", "PublicNewsArticle"),
    "PricePromotionDraft": ("Services/Marketing/Promotions/PricePromotion.swift", "PricePromotionDraft"),
    "PricePromotion": ("Services/Marketing/Promotions/PricePromotion.swift", "PricePromotionView"),
    "PublicPricePromotion": ("Services/Marketing/Promotions/PricePromotion.swift", "PublicPricePromotion"),
    "MarketingEventDraft": ("Services/Marketing/Events/MarketingEvent.swift", "EventDraft"),
    "MarketingEvent": ("Services/Marketing/Events/MarketingEvent.swift", "EventView"),
    "MarketingEventCounts": ("Services/Marketing/Events/MarketingEvent.swift", "EventCounts"),
    "MarketingEventRegistration": ("Services/Marketing/Events/Registration.swift", "RegistrationView"),
    "MarketingRegistrationRequest": ("Services/Marketing/Events/Registration.swift", "RegistrationRequest"),
    "MarketingRegistrationReceipt": ("Services/Marketing/Events/Registration.swift", "RegistrationReceipt"),
    "MarketingCheckInRequest": ("Services/Marketing/Events/Registration.swift", "CheckInRequest"),
    "MarketingCheckInResult": ("Services/Marketing/Events/Registration.swift", "CheckInResult"),
    "PublicMarketingEvent": ("Services/Marketing/Events/Registration.swift", "PublicEventView"),
    "MarketingWheelPrizeDraft": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelPrizeDraft"),
    "MarketingWheelDraft": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelDraft"),
    "MarketingWheelPrize": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelPrizeView"),
    "MarketingWheelCounts": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelCounts"),
    "MarketingWheel": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelView"),
    "MarketingWheelDraw": ("Services/Marketing/Wheel/LuckyWheel.swift", "WheelDrawView"),
    "PublicMarketingWheelPrize": ("Services/Marketing/Wheel/LuckyWheel.swift", "Prize"),
    "PublicMarketingWheel": ("Services/Marketing/Wheel/LuckyWheel.swift", "PublicWheelView"),
    "MarketingDrawRequest": ("Services/Marketing/Wheel/LuckyWheel.swift", "DrawRequest"),
    "MarketingDrawReceipt": ("Services/Marketing/Wheel/LuckyWheel.swift", "DrawReceipt"),
    "MarketingInvitationDraft": ("Services/Marketing/Invitations/Invitation.swift", "InvitationDraft"),
    "MarketingInvitee": ("Services/Marketing/Invitations/Invitation.swift", "Invitee"),
    "MarketingInvitationBatch": ("Services/Marketing/Invitations/Invitation.swift", "InvitationBatch"),
    "MarketingSkippedInvitee": ("Services/Marketing/Invitations/Invitation.swift", "SkippedInvitee"),
    "MarketingInvitationTask": ("Services/Marketing/Invitations/Invitation.swift", "InvitationTaskView"),
    "MarketingInvitationFollowUpDraft": ("Services/Marketing/Invitations/Invitation.swift", "InvitationFollowUpDraft"),
    "MarketingInvitationFollowUp": ("Services/Marketing/Invitations/Invitation.swift", "InvitationFollowUpView"),
    "MarketingInvitationDetail": ("Services/Marketing/Invitations/Invitation.swift", "InvitationTaskDetail"),
    "MarketingCustomer": ("Services/Marketing/Customers/CustomerRoutes.swift", "MarketingCustomer"),
    "SmsTemplateDraft": ("Services/Marketing/Sms/SmsTemplate.swift", "SmsTemplateDraft"),
    "SmsTemplate": ("Services/Marketing/Sms/SmsTemplate.swift", "SmsTemplateView"),
    "SmsRecipientDraft": ("Services/Marketing/Sms/SmsSend.swift", "SmsRecipientDraft"),
    "SmsCustomerFilter": ("Services/Marketing/Sms/SmsSend.swift", "SmsCustomerFilter"),
    "SmsSendDraft": ("Services/Marketing/Sms/SmsSend.swift", "SmsSendDraft"),
    "SmsSend": ("Services/Marketing/Sms/SmsSend.swift", "SmsSendView"),
    "SmsSendCounts": ("Services/Marketing/Sms/SmsSend.swift", "SmsSendCounts"),
    "SmsMessage": ("Services/Marketing/Sms/SmsSend.swift", "SmsMessageView"),
    "SmsImportReport": ("Services/Marketing/Sms/SmsSend.swift", "SmsImportReport"),
    "SmsSettings": ("Services/Marketing/Sms/SmsSend.swift", "SmsSettings"),
    "SmsOptOutDraft": ("Services/Marketing/Sms/SmsSend.swift", "SmsOptOutDraft"),
    "SmsOptOut": ("Services/Marketing/Sms/SmsSend.swift", "SmsOptOutView"),
    "SmsCallbackAcknowledgement": ("Services/Marketing/Sms/SmsCallbackRoutes.swift", "Acknowledgement"),
}

# Schema name (or "Schema.property") → (Swift file, enum name): the enum values must be the raw values.
ENUMS = {
    "SmsKind": ("Services/Marketing/Sms/SmsTemplate.swift", "SmsKind"),
    "SmsMessageState": ("Services/Marketing/Sms/SmsSend.swift", "SmsMessageState"),
    "DataScope": ("Shared/ServiceKit/Auth/DataScope.swift", "DataScope"),
    "VisitTemplateKind": ("Services/CustomerService/VisitTemplate.swift", "Kind"),
    "QuestionType": ("Services/CustomerService/VisitTemplate.swift", "QuestionType"),
    "VisitResult": ("Services/CustomerService/VisitRoutes.swift", "Result"),
    "VisitTaskState": ("Services/CustomerService/VisitTaskQueries.swift", "State"),
    "VisitTask.orderType": ("Services/CustomerService/VisitTaskQueries.swift", "OrderType"),
    "ComplaintLevel": ("Shared/Contracts/CustomerServiceEvents.swift", "ComplaintLevel"),
    "ComplaintState": ("Services/CustomerService/Complaint.swift", "ComplaintState"),
    "ComplaintSummary.source": ("Services/CustomerService/Complaint.swift", "ComplaintSource"),
    "ComplaintEntryRequest.kind": ("Services/CustomerService/ComplaintRoutes.swift", "Kind"),
    "RepairBusinessType": ("Shared/Contracts/CommonTypes.swift", "RepairBusinessType"),
    "RepairOrder.state": ("Services/AfterSales/RepairOrders/RepairOrder.swift", "State"),
    "CustomerClass": ("Services/AfterSales/Vehicles/CustomerClass.swift", "CustomerClass"),
    "RenewalStage": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalStage"),
    "RenewalState": ("Services/AfterSales/Renewals/Renewal.swift", "RenewalState"),
    "LeadLevel": ("Services/Leads/Lead.swift", "LeadLevel"),
    "LeadTaskWhen": ("Shared/ServiceKit/FollowUp/TaskDue.swift", "TaskDue"),
    "ProspectLevel": ("Services/Prospects/Prospect.swift", "ProspectLevel"),
    "TrafficOutcome": ("Services/Prospects/TrafficRoutes.swift", "Outcome"),
    "ProspectTaskWhen": ("Shared/ServiceKit/FollowUp/TaskDue.swift", "TaskDue"),
    "PoolClaimState": ("Services/Prospects/PublicPoolRoutes.swift", "State"),
    "TestDriveKind": ("Services/Prospects/TestDrive.swift", "TestDriveKind"),
    "TestDrivePhotoKind": ("Services/Prospects/TestDrive.swift", "TestDrivePhotoKind"),
    "CouponValidity": ("Services/Coupons/Definitions/CouponDefinition.swift", "CouponValidity"),
    "CouponUsableIn": ("Services/Coupons/Definitions/CouponDefinition.swift", "CouponUsableIn"),
    "CouponTaskKind": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskKind"),
    "CouponIssueMode": ("Services/Coupons/Tasks/IssueTask.swift", "IssueMode"),
    "CouponTaskState": ("Services/Coupons/Tasks/IssueTask.swift", "IssueTaskState"),
    "CouponReferralTrigger": ("Services/Coupons/Referrals/ReferralRule.swift", "ReferralTrigger"),
    "PublicationState": ("Services/Marketing/Publishing/PublicationState.swift", "PublicationState"),
    "MarketingEventState": ("Services/Marketing/Events/MarketingEvent.swift", "EventState"),
    "MarketingEventCharge": ("Services/Marketing/Events/MarketingEvent.swift", "EventCharge"),
}

# Schema name (or "Schema.property") → the data dictionary (G5) whose codes it carries. A closed
# set's schema is an enum of exactly the catalogue's codes; an open set's (a store may add codes)
# is a plain string whose description names the set.
DICTIONARY_ENUMS = {
    "LeadSource": "leadSource", "LeadLevel": "leadLevel", "LeadState": "leadState",
    "LeadFollowUpChannel": "leadFollowUpChannel",
    "ProspectCategory": "prospectCategory", "ProspectSource": "prospectSource", "ProspectLevel": "prospectLevel",
    "ProspectState": "prospectState", "TrafficArrival": "trafficArrival", "TrafficNature": "trafficNature",
    "ProspectFollowUpMethod": "followUpMethod", "ProspectFollowUpContent": "followUpContent",
    "ProspectFollowUpResult": "followUpResult", "ProspectContact": "followUpContact",
    "ProspectNextContent": "nextFollowUpContent", "TestDriveKind": "testDriveKind", "TestDriveState": "testDriveState",
    "RepairBusinessType": "repairBusinessType", "RepairOrder.state": "repairOrderState",
    "CustomerClass": "customerClass", "CustomerSource": "customerSource", "VehiclePerson.gender": "gender",
    "ComplaintLevel": "complaintLevel", "ComplaintState": "complaintState", "ComplaintSummary.source": "complaintSource",
    "ComplaintCategory": "complaintCategory", "VisitResult": "visitResult", "VisitTemplateKind": "visitKind",
    "VisitTaskState": "visitTaskState", "VisitTask.orderType": "visitOrderType",
    "CampaignKind": "campaignKind", "CampaignContactMethod": "campaignContactMethod", "CampaignState": "campaignState",
    "CampaignTaskState": "campaignTaskState", "CampaignFollowUpResult": "campaignFollowUpResult",
    "RenewalStage": "renewalStage", "RenewalState": "renewalState",
    "CouponKind": "couponKind", "CouponValidity": "couponValidity", "CouponUsableIn": "couponUsableIn",
    "CouponState": "couponState", "CouponTaskKind": "couponTaskKind", "CouponIssueMode": "couponIssueMode",
    "CouponTaskState": "couponTaskState", "CouponOrderKind": "couponOrderKind", "CouponRevocationState": "couponRevocationState",
    "NewsCategory": "newsCategory", "PublicationState": "publicationState",
    "MarketingEventState": "marketingEventState", "MarketingEventCharge": "marketingEventCharge",
    "MarketingInvitationMethod": "invitationMethod", "MarketingInvitationResult": "invitationResult",
}

# Path parameters that are neither ids nor from a fixed list: (path, name). A data dictionary's
# code names an entry of an open set, which a store may add (`PUT …/entries/{code}` creates it).
FREE_PATH_PARAMETERS = {("/api/v1/identity/dictionaries/{set}/entries/{code}", "code"),
                        # A coupon's code as typed (a bad one is a 422), and a claim link's secret.
                        ("/api/v1/coupons/issued/{code}", "code"), ("/api/v1/public/coupons/claims/{token}", "token")}

# The data dictionaries' built-in catalogue (G5): set name → its codes, read from Contracts.
DICTIONARIES_FILE = "Shared/Contracts/DataDictionaries.swift"


def dictionary_catalogue() -> dict[str, list[str]]:
    text = (ROOT / DICTIONARIES_FILE).read_text()
    catalogue = {}
    for match in re.finditer(r'= Set\("(\w+)",[^\[]*\[(.*?)\]\)', text, re.S):
        catalogue[match.group(1)] = re.findall(r'\.init\("([^"]+)"', match.group(2))
    return catalogue


problems: list[str] = []


def fail(message: str) -> None:
    problems.append(message)


# ------------------------------------------------------------------ Swift sources


def strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"//[^\n]*", "", source)


def mask_strings(source: str) -> str:
    """`source` with the inside of every string literal blanked (same length), so braces and
    parentheses in strings do not count."""
    out, i, n = list(source), 0, len(source)
    while i < n:
        if source.startswith('"""', i):
            end = source.find('"""', i + 3)
            end = n if end < 0 else end
            for j in range(i + 3, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end + 3
        elif source[i] == '"':
            j = i + 1
            while j < n and source[j] not in '"\n':
                out[j] = " "
                if source[j] == "\\" and j + 1 < n:
                    out[j + 1] = " "
                    j += 1
                j += 1
            i = j + 1
        else:
            i += 1
    return "".join(out)


def closing(masked: str, start: int) -> int:
    """The index of the bracket that closes the one at `start` (`{` or `(`)."""
    opening, close = masked[start], {"{": "}", "(": ")"}[masked[start]]
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] == opening:
            depth += 1
        elif masked[i] == close:
            depth -= 1
            if depth == 0:
                return i
    return len(masked)


def type_spans(masked: str) -> list[tuple[str, int, int]]:
    """(type name, start, end) of every top-level struct, class, enum, actor or extension body."""
    spans, i, last = [], 0, 0
    while i < len(masked):
        if masked[i] == "{":
            end = closing(masked, i)
            declaration = re.findall(r"\b(?:struct|class|enum|actor|extension)\s+([\w.]+)", masked[last:i])
            if declaration:
                spans.append((declaration[-1].split(".")[-1], i, end))
            i = last = end + 1
        elif masked[i] in ";}":
            i = last = i + 1
        else:
            i += 1
    return spans


def registered_types(masked: str, start: int, end: int) -> set[str]:
    """Types whose routes the code in masked[start:end] registers: `SomeRoutes(…).add…(to: group…)`."""
    found = set()
    for match in re.finditer(r"\b([A-Z]\w*)\s*\(", masked[start:end]):
        open_at = start + match.end() - 1
        after = masked[closing(masked, open_at) + 1:end]
        if re.match(r"\s*\.\s*add\w*\s*\(\s*to\s*:", after):
            found.add(match.group(1))
    return found


def service_contexts() -> dict[str, str]:
    """ServiceIdentity's static name (`coupons`) → its apiContext (`coupons`)."""
    source = (ROOT / "Shared/ServiceKit/Configuration/ServiceConfiguration.swift").read_text(encoding="utf-8")
    return dict(re.findall(r"static let (\w+) = ServiceIdentity\([^)]*apiContext:\s*\"([^\"]+)\"", source))


def public_path_segment() -> str:
    source = (ROOT / "Shared/ServiceKit/HTTP/PublicRoutes.swift").read_text(encoding="utf-8")
    return re.search(r"static let publicPathSegment = \"([^\"]+)\"", source).group(1)


def public_routes(service: pathlib.Path, sources: dict[pathlib.Path, str]) -> tuple[str, set[str], list]:
    """A service's public routes (`ServiceDefinition(publicRoutes: { group, environment in … })`),
    which ServiceRunner mounts under `/api/v1/public/<apiContext>/`: that prefix, the types whose
    routes are registered there (and the types those register in turn), and the (file, start, end)
    of the closure itself (routes written straight into it). No public routes: ("", set(), [])."""
    contexts = service_contexts()
    for file, masked in sources.items():
        if file.parent != service and service not in file.parents:
            continue
        definition = re.search(r"\bServiceDefinition\s*\(", masked)
        if not definition:
            continue
        arguments = (definition.end() - 1, closing(masked, definition.end() - 1))
        identity = re.search(r"\bidentity\s*:\s*\.(\w+)", masked[arguments[0]:arguments[1]])
        closure = re.search(r"\bpublicRoutes\s*:\s*\{", masked[arguments[0]:arguments[1]])
        if not closure:
            return "", set(), []
        if not identity or identity.group(1) not in contexts:
            fail(f"{file.relative_to(ROOT)}: public routes, but no `identity: .<name>` of ServiceConfiguration.swift")
            return "", set(), []
        start = arguments[0] + closure.end() - 1
        end = closing(masked, start)
        public = registered_types(masked, start, end)
        # The other closures (routes:, unauthenticatedRoutes:, rootRoutes:) register the rest.
        others = registered_types(masked, arguments[0], start) | registered_types(masked, end, arguments[1])
        for both in sorted(public & others):
            fail(f"{file.relative_to(ROOT)}: {both} registers routes both in publicRoutes and with a token; "
                 "the checker cannot tell which of its routes are public")
        # Types a public type registers in turn are public too.
        spans = [(f, name, s, e) for f, m in sources.items() if service in f.parents for name, s, e in type_spans(m)]
        pending = list(public)
        while pending:
            name = pending.pop()
            for f, span_name, s, e in spans:
                if span_name == name:
                    for more in registered_types(sources[f], s, e) - public:
                        public.add(more)
                        pending.append(more)
        prefix = f"/api/v1/{public_path_segment()}/{contexts[identity.group(1)]}"
        return prefix, public, [(file, start, end)]
    return "", set(), []


def internal_types(service: pathlib.Path, sources: dict[pathlib.Path, str]) -> set[str]:
    """The types a service's `ServiceDefinition(internalRoutes: { … })` registers: routes one
    service offers another under `/internal/v1/<apiContext>/`, which the gateway never forwards,
    so they are not in its document."""
    for file, masked in sources.items():
        definition = re.search(r"\bServiceDefinition\s*\(", masked)
        if not definition:
            continue
        arguments = (definition.end() - 1, closing(masked, definition.end() - 1))
        closure = re.search(r"\binternalRoutes\s*:\s*\{", masked[arguments[0]:arguments[1]])
        if not closure:
            return set()
        start = arguments[0] + closure.end() - 1
        return registered_types(masked, start, closing(masked, start))
    return set()


def swift_routes() -> set[tuple[str, str]]:
    """(METHOD, /path) of every route registered in Services/*/: a service's public routes under
    `/api/v1/public/<apiContext>/`, the others under `/api/v1/`, the root router's at `/`."""
    routes = set()
    call = re.compile(r"\b(group|router)\s*\.\s*(get|post|put|patch|delete)\s*\(\s*\"((?:[^\"\\]|\\.)*)\"\s*(?:,\s*use\s*:|\))", re.S)
    call_on = re.compile(r"\bgroup\s*\.\s*on\s*\(\s*\"((?:[^\"\\]|\\.)*)\"\s*,\s*method\s*:\s*\.(\w+)", re.S)
    for service in sorted(path for path in (ROOT / "Services").iterdir() if path.is_dir()):
        files = {file: strip_comments(file.read_text(encoding="utf-8")) for file in sorted(service.glob("**/*.swift"))}
        masked = {file: mask_strings(source) for file, source in files.items()}
        prefix, public_types, public_closures = public_routes(service, masked)
        internal = internal_types(service, masked)
        for file, source in files.items():
            spans = type_spans(masked[file])
            if any(name in internal for name, _, _ in spans):
                continue

            def is_public(position: int) -> bool:
                if any(f == file and s < position < e for f, s, e in public_closures):
                    return True
                return any(s < position < e and name in public_types for name, s, e in spans)

            found = [(m.start(), m.group(1), m.group(2), m.group(3)) for m in call.finditer(source)]
            found += [(m.start(), "group", m.group(2), m.group(1)) for m in call_on.finditer(source)]
            for position, kind, method, path in found:
                if "\\(" in path:  # the gateway's proxy: "\(context)/**"
                    continue
                path = re.sub(r":(\w+)", r"{\1}", path.strip("/"))
                if kind == "router":
                    full = f"/{path}"
                elif prefix and is_public(position):
                    full = f"{prefix}/{path}"
                else:
                    full = f"/api/v1/{path}"
                routes.add((method.upper(), full))
    return routes


def block_after(source: str, start: int) -> str:
    """The text between the `{` at or after `start` and its matching `}`."""
    open_at = source.index("{", start)
    depth = 0
    for index in range(open_at, len(source)):
        character = source[index]
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                return source[open_at + 1:index]
    raise ValueError("unbalanced braces")


def top_level(body: str) -> str:
    """`body` with every nested `{…}` removed."""
    out, depth = [], 0
    for character in body:
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        elif depth == 0:
            out.append(character)
    return "".join(out)


def swift_declaration(file: str, kind: str, name: str) -> str | None:
    path = ROOT / file
    if not path.exists():
        fail(f"{file}: missing (named in the check's type table)")
        return None
    source = strip_comments(path.read_text(encoding="utf-8"))
    match = re.search(rf"\b{kind}\s+{re.escape(name)}\b[^{{]*", source)
    if not match:
        fail(f"{file}: no {kind} {name} (named in the check's type table)")
        return None
    return block_after(source, match.end())


def swift_properties(file: str, name: str) -> dict[str, bool] | None:
    """Encoded property name → optional?, of the struct's stored properties."""
    body = swift_declaration(file, "struct", name)
    if body is None:
        return None
    keys: dict[str, str] = {}
    coding = re.search(r"\benum\s+CodingKeys\b[^{]*", body)
    if coding:
        for case in re.findall(r"\bcase\s+([^\n;]+)", block_after(body, coding.end())):
            for item in case.split(","):
                parts = [part.strip() for part in item.split("=")]
                keys[parts[0]] = parts[1].strip('"') if len(parts) == 2 else parts[0]
    properties = {}
    # Computed properties lose their `{…}` in top_level, which leaves `var x: T` followed by nothing on
    # that line; stored ones look the same. Tell them apart on the original text instead.
    for match in re.finditer(r"^[ \t]*(?:public\s+|internal\s+)?(var|let)\s+(\w+)\s*(?::\s*([^={\n]+?))?\s*(=[^\n]*)?(\{)?[ \t]*$", top_level_lines(body), re.M):
        _, prop, swift_type, _, brace = match.groups()
        if brace:
            continue
        swift_type = (swift_type or "").strip()
        optional = swift_type.endswith("?") or swift_type.startswith("Optional<") or swift_type.startswith("FieldChange<")
        encoded = keys.get(prop, prop)
        if coding and prop not in keys:
            continue
        properties[encoded] = optional
    # A computed property is not encoded, unless CodingKeys names it (a custom `encode(to:)` writes it:
    # a proposal's derived figures).
    if coding:
        for match in re.finditer(r"^[ \t]*(?:public\s+|internal\s+)?var\s+(\w+)\s*:\s*([^={\n]+?)\s*\{", top_level_lines(body), re.M):
            prop, swift_type = match.groups()
            if prop in keys and keys[prop] not in properties:
                properties[keys[prop]] = swift_type.strip().endswith("?")
    return properties


def top_level_lines(body: str) -> str:
    """The lines of `body` at its own nesting level; a line opening a block keeps its `{`."""
    lines, depth = [], 0
    for line in body.splitlines():
        if depth == 0:
            lines.append(line)
        depth += line.count("{") - line.count("}")
    # Drop `static` declarations.
    return "\n".join(line for line in lines if not re.match(r"\s*(?:public\s+|private\s+)?static\b", line))


def swift_enum_values(file: str, name: str) -> list[str] | None:
    body = swift_declaration(file, "enum", name)
    if body is None:
        return None
    values = []
    for case in re.findall(r"^\s*case\s+([^\n]+)", top_level(body), re.M):
        for item in case.split(","):
            parts = [part.strip() for part in item.split("=")]
            if not parts[0] or "(" in parts[0]:
                continue
            values.append(parts[1].strip('"') if len(parts) == 2 else parts[0])
    return values


def swift_permissions() -> list[str]:
    source = (ROOT / "Shared/ServiceKit/Auth/Permission.swift").read_text(encoding="utf-8")
    return re.findall(r"static let \w+ = Permission\(rawValue: \"([^\"]+)\"\)", source)


# ------------------------------------------------------------------ the document


def resolve(document: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def object_shape(document: dict, schema: dict) -> tuple[dict, set]:
    """Properties and required names of an object schema, through `allOf`."""
    schema = resolve(document, schema)
    properties, required = dict(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more_properties, more_required = object_shape(document, part)
        properties.update(more_properties)
        required |= more_required
    return properties, required


def enum_of(document: dict, schema: dict) -> list | None:
    schema = resolve(document, schema)
    if "enum" in schema:
        return [value for value in schema["enum"] if value is not None]
    for part in schema.get("anyOf", []) + schema.get("oneOf", []):
        values = enum_of(document, part)
        if values is not None:
            return values
    return None


def admits_empty(document: dict, schema: dict) -> bool:
    """Whether the empty string is valid for `schema` (formats checked, `#/components/…` resolved)."""
    root = {"components": document.get("components", {}), "allOf": [schema]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid("")


def check_operations(document: dict) -> None:
    seen_ids: dict[str, str] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            name = f"{method.upper()} {path}"
            operation_id = operation.get("operationId")
            if not operation_id:
                fail(f"{name}: no operationId")
            elif operation_id in seen_ids:
                fail(f"{name}: operationId {operation_id} is also {seen_ids[operation_id]}'s")
            else:
                seen_ids[operation_id] = name
            tags = operation.get("tags") or []
            if len(tags) != 1 or tags[0] not in TAGS:
                fail(f"{name}: tags {tags}, expected one of {sorted(TAGS)}")
            if not operation.get("summary"):
                fail(f"{name}: no summary")
            responses = operation.get("responses", {})
            successes = [str(code) for code in responses if str(code).startswith("2")]
            expected_successes = SUCCESSES.get((method.upper(), path))
            if expected_successes is not None:
                if set(successes) != expected_successes:
                    fail(f"{name}: success responses {sorted(successes)}, expected {sorted(expected_successes)}")
            elif len(successes) != 1:
                fail(f"{name}: {len(successes)} success responses, expected one")
            for code, response in responses.items():
                response = resolve(document, response)
                if "X-Request-Id" not in (response.get("headers") or {}):
                    fail(f"{name} {code}: no X-Request-Id header")
                content = response.get("content") or {}
                if str(code) == "304":
                    # Not Modified (a conditional GET's If-None-Match named the ETag): no body, and the tag again.
                    if content:
                        fail(f"{name} 304: has content, but a 304 has no body")
                    if "ETag" not in (response.get("headers") or {}):
                        fail(f"{name} 304: no ETag header")
                    if method != "get" or "ETag" not in (resolve(document, responses.get("200", {})).get("headers") or {}):
                        fail(f"{name} 304: only a GET whose 200 carries an ETag answers 304")
                    continue
                if not content:
                    fail(f"{name} {code}: no content")
                for media_type, media in content.items():
                    if "schema" not in media:
                        fail(f"{name} {code} {media_type}: no schema")
                    if not str(code).startswith("2") and media_type != "application/problem+json":
                        fail(f"{name} {code}: errors are application/problem+json, not {media_type}")
            public = (method.upper(), path) in PUBLIC
            if public and operation.get("security") != []:
                fail(f"{name}: public, needs `security: []`")
            if not public and "security" in operation:
                fail(f"{name}: needs the global bearer security, not its own")
            expected = {"500"} if path.startswith("/api/") else set()
            if path.startswith(PUBLIC_PREFIX):
                expected.add("429")
                if not public:
                    fail(f"{name}: under {PUBLIC_PREFIX}, so public: list it in PUBLIC with `security: []`")
            elif path.startswith("/api/"):
                expected.add("401")
            if "requestBody" in operation:
                body = operation["requestBody"]
                media_types = set(body.get("content", {}))
                if not body.get("required"):
                    fail(f"{name}: the request body must be required")
                if media_types == {"application/json"}:
                    expected |= {"400", "413", "422"}
                elif media_types and (media_types <= FILE_BODY_TYPES or media_types <= UPLOAD_BODY_TYPES):
                    # A file the operation reads itself: too large is a 413, unusable a 422; never a
                    # 400 for malformed JSON, since nothing reads it as JSON. A photo of a type the
                    # operation does not take is a 415.
                    expected |= {"413", "422"}
                    if media_types <= UPLOAD_BODY_TYPES:
                        expected.add("415")
                    if "400" in map(str, operation.get("responses", {})):
                        fail(f"{name}: lists 400, but its body ({', '.join(sorted(media_types))}) is not read as JSON")
                    for media_type in sorted(media_types):
                        media = body["content"][media_type]
                        schema = resolve(document, media.get("schema", {}))
                        if schema.get("type") != "string":
                            fail(f"{name} request {media_type}: the schema must be a string")
                        if media_type in UPLOAD_BODY_TYPES:
                            if schema.get("format") != "binary":
                                fail(f"{name} request {media_type}: a photo or scan is `format: binary`")
                        elif "example" not in media and "examples" not in media:
                            fail(f"{name} request {media_type}: no example")
                else:
                    fail(f"{name}: the request body must be application/json alone, a file of "
                         f"{', '.join(sorted(FILE_BODY_TYPES))}, or a photo of {', '.join(sorted(UPLOAD_BODY_TYPES))}; "
                         f"it is {', '.join(sorted(media_types)) or 'nothing'}")
            parameters = [resolve(document, p) for p in item.get("parameters", []) + operation.get("parameters", [])]
            if any(p["in"] == "query" for p in parameters):
                expected.add("422")
            for parameter in parameters:
                if parameter["in"] != "query":
                    continue
                empty_allowed = admits_empty(document, parameter.get("schema", {}))
                if not parameter.get("required") and not empty_allowed:
                    fail(f"{name}: optional query parameter {parameter['name']} sent empty is the same as left out, so its "
                         "schema must admit '' (anyOf with #/components/schemas/EmptyQueryValue)")
                if parameter.get("required") and empty_allowed:
                    fail(f"{name}: required query parameter {parameter['name']} sent empty is missing (422), so its "
                         "schema must not admit ''")
            for parameter_name in re.findall(r"\{(\w+)\}", path):
                expected.add("404")
                declared = [p for p in parameters if p["in"] == "path" and p["name"] == parameter_name]
                if not declared:
                    fail(f"{name}: path parameter {parameter_name} not declared")
                else:
                    # An id, or a name from a fixed list (a test drive's photo kind); an unknown one is a 404 too.
                    schema = resolve(document, declared[0].get("schema", {}))
                    if (path, parameter_name) in FREE_PATH_PARAMETERS:
                        continue
                    if schema.get("format") != "uuid" and enum_of(document, schema) is None:
                        fail(f"{name}: path parameter {parameter_name} should be a uuid or an enum")
            if "Permission:" in (operation.get("description") or ""):
                expected.add("403")
            if path.startswith("/api/v1/") and path.split("/")[3] not in ("auth", "identity"):
                expected.add("503")
            missing = sorted(expected - set(map(str, responses)))
            if missing:
                fail(f"{name}: no {', '.join(missing)} response")
            if method == "post" and successes == ["201"] and "requestBody" not in operation \
                    and (method.upper(), path) not in BODYLESS_CREATES:
                fail(f"{name}: 201 without a body")


def check_schemas(document: dict) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for schema_name, entry in TYPES.items():
        file, type_name = entry[0], entry[1]
        options = entry[2] if len(entry) > 2 else {}
        if schema_name not in schemas:
            fail(f"components/schemas/{schema_name}: missing (the type of {type_name} in {file})")
            continue
        swift = swift_properties(file, type_name)
        if swift is None:
            continue
        for excluded in options.get("exclude", set()):
            swift.pop(excluded, None)
        properties, required = object_shape(document, {"$ref": f"#/components/schemas/{schema_name}"})
        for prop in sorted(set(swift) - set(properties)):
            fail(f"{schema_name}: no property {prop} ({type_name}.{prop} in {file})")
        for prop in sorted(set(properties) - set(swift)):
            fail(f"{schema_name}: property {prop} is not in {type_name} ({file})")
        for prop, optional in sorted(swift.items()):
            if prop not in properties:
                continue
            should_be_required = not optional or prop in options.get("required", set())
            if should_be_required and prop not in required:
                fail(f"{schema_name}.{prop}: should be required ({type_name}.{prop} is not optional)")
            if not should_be_required and prop in required:
                fail(f"{schema_name}.{prop}: should not be required ({type_name}.{prop} is optional)")
    for target, (file, enum_name) in ENUMS.items():
        schema_name, _, prop = target.partition(".")
        if schema_name not in schemas:
            fail(f"components/schemas/{schema_name}: missing (enum {enum_name} in {file})")
            continue
        schema = {"$ref": f"#/components/schemas/{schema_name}"}
        if prop:
            schema = object_shape(document, schema)[0].get(prop, {})
        documented = enum_of(document, schema)
        swift = swift_enum_values(file, enum_name)
        if swift is None:
            continue
        if documented is None or sorted(documented) != sorted(swift):
            fail(f"{target}: enum {documented}, but {enum_name} in {file} has {swift}")
    catalogue = dictionary_catalogue()
    open_sets = set(re.findall(r'= Set\("(\w+)", "[^"]*", open: true', (ROOT / DICTIONARIES_FILE).read_text()))
    for target, set_name in DICTIONARY_ENUMS.items():
        schema_name, _, prop = target.partition(".")
        if schema_name not in schemas:
            fail(f"components/schemas/{schema_name}: missing (dictionary {set_name})")
            continue
        schema = {"$ref": f"#/components/schemas/{schema_name}"}
        if prop:
            schema = object_shape(document, schema)[0].get(prop, {})
        documented = enum_of(document, schema)
        if set_name in open_sets:
            description = resolve(document, schema).get("description", "") + schemas[schema_name].get("description", "")
            if documented is not None:
                fail(f"{target}: an enum, but {set_name} is an open set (a store may add codes): a string")
            elif set_name not in description:
                fail(f"{target}: the description should name the dictionary {set_name}")
        elif sorted(documented or []) != sorted(catalogue.get(set_name, [])):
            fail(f"{target}: enum {documented}, but the dictionary {set_name} has {catalogue.get(set_name)}")
    documented = enum_of(document, document["components"]["parameters"]["DictionarySetName"]["schema"])
    if sorted(documented or []) != sorted(catalogue):
        fail(f"parameters/DictionarySetName: enum {documented}, but {DICTIONARIES_FILE} has {sorted(catalogue)}")
    permissions = swift_permissions()
    documented = enum_of(document, schemas.get("Permission", {}))
    if sorted(documented or []) != sorted(permissions):
        fail(f"Permission: enum {documented}, but Permission.swift has {permissions}")


def main() -> int:
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DOCUMENT
    spec_dict, _ = read_from_filename(str(path))
    valid = True
    try:
        validate(spec_dict)
    except Exception as error:  # the validator's own error says where
        fail(f"not valid OpenAPI: {error}")
        valid = False
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)

    documented = {(method.upper(), p) for p, item in document.get("paths", {}).items() for method in METHODS if method in item}
    registered = swift_routes()
    for method, p in sorted(registered - documented, key=lambda r: (r[1], r[0])):
        fail(f"route {method} {p} is registered in Services/ but not documented")
    for method, p in sorted(documented - registered, key=lambda r: (r[1], r[0])):
        fail(f"operation {method} {p} is documented but no route registers it")

    if valid:  # the finer checks assume a well-formed document
        check_operations(document)
        check_schemas(document)

    if problems:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    operations = len(documented)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: valid OpenAPI {document.get('openapi')}; "
          f"{operations} operations = {len(registered)} registered routes; {len(TYPES)} schemas and "
          f"{len(ENUMS) + 1} enums match the Swift types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
