import ServiceKit

/// The roles every installation starts with (the seed manuals' staff roles); codes are what
/// demo user names start with. Their permissions are reset to these at every start, so a new
/// feature's permissions reach existing installations: to customise, create a role of your own.
struct BuiltInRole: Sendable {
    var code: String
    var name: String
    var scope: DataScope
    var permissions: [Permission]
}

enum BuiltInRoles {
    static let all: [BuiltInRole] = [
        BuiltInRole(code: "admin", name: "系统管理员 Administrator", scope: .group, permissions: Permission.all),
        BuiltInRole(
            code: "gm", name: "总经理 General manager", scope: .store,
            permissions: [.readAuditLog, .readVehicles, .readRepairOrders, .readCampaigns, .readRenewals, .readReminders,
                          .readAfterSalesReports, .readVisitTemplates, .readVisitTasks, .readComplaints, .readVisitStatistics,
                          .readLeads, .readProspects, .readCoupons, .approveCouponTasks, .readMarketing]),
        BuiltInRole(
            code: "sales.manager", name: "销售经理 Sales manager", scope: .store,
            permissions: [.readVehicles, .readVisitStatistics, .readLeads, .writeLeads, .assignLeads, .configureLeads,
                          .readProspects, .writeProspects, .assignProspects, .approveProspects, .assignProspectsDirectly,
                          .configureProspects, .readCoupons, .issueCoupons]),
        BuiltInRole(
            code: "sales.leader", name: "销售组长 Sales team leader", scope: .team,
            permissions: [.readVehicles, .readLeads, .writeLeads, .readProspects, .writeProspects, .assignProspects, .approveProspects]),
        BuiltInRole(
            code: "consultant", name: "销售顾问 Sales consultant", scope: .own,
            permissions: [.readVehicles, .readLeads, .writeLeads, .readProspects, .writeProspects, .followUpInvitations]),
        BuiltInRole(
            code: "cs.supervisor", name: "客服主管 Customer-service supervisor", scope: .store,
            permissions: [.readVehicles, .readRepairOrders, .readVisitTemplates, .manageVisitTemplates, .readVisitTasks,
                          .assignVisitTasks, .performVisits, .readComplaints, .openComplaints, .handleComplaints,
                          .closeComplaints, .readVisitStatistics]),
        BuiltInRole(
            code: "cs.agent", name: "客服专员 Customer-service agent", scope: .own,
            permissions: [.readVehicles, .readRepairOrders, .readVisitTemplates, .readVisitTasks, .performVisits,
                          .readComplaints, .openComplaints, .handleComplaints]),
        BuiltInRole(
            code: "sa", name: "服务顾问 Service advisor", scope: .store,
            permissions: [.readVehicles, .writeVehicles, .readRepairOrders, .writeRepairOrders, .readCampaigns,
                          .followUpCampaigns, .readReminders, .handleReminders, .readCoupons, .redeemCoupons]),
        BuiltInRole(
            code: "as.director", name: "售后总监 After-sales director", scope: .store,
            permissions: [.readVehicles, .writeVehicles, .readRepairOrders, .configureAfterSales, .readCampaigns,
                          .manageCampaigns, .followUpCampaigns, .readRenewals, .assignRenewals, .followUpRenewals,
                          .readReminders, .handleReminders, .readAfterSalesReports, .readCoupons, .issueCoupons]),
        BuiltInRole(
            code: "renewal", name: "续保专员 Renewal specialist", scope: .own,
            permissions: [.readVehicles, .readRenewals, .followUpRenewals]),
        BuiltInRole(
            code: "finance", name: "财务总监 Finance director", scope: .store,
            permissions: [.readCoupons, .defineCoupons, .issueCoupons, .revokeCoupons, .configureCoupons]),
        BuiltInRole(
            code: "cashier", name: "收银员 Cashier", scope: .store,
            permissions: [.readVehicles, .readRepairOrders, .readCoupons, .redeemCoupons]),
        BuiltInRole(
            code: "marketing", name: "市场经理 Marketing manager", scope: .store,
            permissions: [.readMarketing, .manageMarketingContent, .manageChannels, .manageMarketingEvents, .manageWheels, .manageSms]),
        BuiltInRole(
            code: "hq", name: "总部审核 Group coupon approver", scope: .group,
            permissions: [.readCoupons, .approveCouponRevocations, .configureCoupons]),
    ]
}
