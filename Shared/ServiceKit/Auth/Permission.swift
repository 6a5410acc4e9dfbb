/// What a role allows, one action at a time (`cs.visit-task.assign`).
///
/// Roles are sets of permissions, kept by the gateway and carried in the access token; every
/// service checks the ones its routes need. All permissions are listed here, in one place, so
/// the gateway's role editor, the seeded roles and the services' checks cannot drift apart.
public struct Permission: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    // Identity & administration (G1–G4)
    /// Create and change stores, teams, users and roles.
    public static let administerIdentity = Permission(rawValue: "identity.admin")
    /// Read the audit log.
    public static let readAuditLog = Permission(rawValue: "audit.read")

    // After-sales (AS1–AS5)
    public static let readVehicles = Permission(rawValue: "aftersales.vehicle.read")
    public static let writeVehicles = Permission(rawValue: "aftersales.vehicle.write")
    public static let readRepairOrders = Permission(rawValue: "aftersales.repair-order.read")
    public static let writeRepairOrders = Permission(rawValue: "aftersales.repair-order.write")
    /// Set the store's after-sales rules (售后规则配置, seed §8.3): the churn rule of the customer
    /// classes (AS5).
    public static let configureAfterSales = Permission(rawValue: "aftersales.configure")

    // After-sales retention (AS4–AS8)
    /// See the store's solicitation campaigns (售后招揽, AS4), their tasks and statistics.
    public static let readCampaigns = Permission(rawValue: "aftersales.campaign.read")
    /// Create, edit, publish and delete campaigns; assign their tasks (售后总监).
    public static let manageCampaigns = Permission(rawValue: "aftersales.campaign.manage")
    /// Record follow-ups on campaign tasks and defeat them with a reason (service advisors).
    public static let followUpCampaigns = Permission(rawValue: "aftersales.campaign.follow-up")
    /// See insurance-renewal tasks (续保招揽, AS6): all of the store's, or with the `own` scope
    /// the ones assigned to the caller.
    public static let readRenewals = Permission(rawValue: "aftersales.renewal.read")
    /// Assign renewal tasks to renewal specialists.
    public static let assignRenewals = Permission(rawValue: "aftersales.renewal.assign")
    /// Record renewal follow-ups, defeats and renewed policies (续保专员).
    public static let followUpRenewals = Permission(rawValue: "aftersales.renewal.follow-up")
    /// See the care reminders (关怀, AS7).
    public static let readReminders = Permission(rawValue: "aftersales.reminder.read")
    /// Mark care reminders done.
    public static let handleReminders = Permission(rawValue: "aftersales.reminder.handle")
    /// Read the after-sales reports (AS8).
    public static let readAfterSalesReports = Permission(rawValue: "aftersales.report.read")

    // Customer service (CS1–CS7)
    public static let readVisitTemplates = Permission(rawValue: "cs.template.read")
    public static let manageVisitTemplates = Permission(rawValue: "cs.template.manage")
    public static let readVisitTasks = Permission(rawValue: "cs.visit-task.read")
    /// Assign visit tasks to agents (supervisors).
    public static let assignVisitTasks = Permission(rawValue: "cs.visit-task.assign")
    /// Record a visit on a task one can see.
    public static let performVisits = Permission(rawValue: "cs.visit.perform")
    public static let readComplaints = Permission(rawValue: "cs.complaint.read")
    /// Open a complaint by hand.
    public static let openComplaints = Permission(rawValue: "cs.complaint.open")
    /// Record feedback, plans and follow-ups; move a complaint on; assign who handles it.
    public static let handleComplaints = Permission(rawValue: "cs.complaint.handle")
    /// Close a resolved complaint (supervisors).
    public static let closeComplaints = Permission(rawValue: "cs.complaint.close")
    public static let readVisitStatistics = Permission(rawValue: "cs.statistics.read")

    // Leads (L1–L9)
    public static let readLeads = Permission(rawValue: "leads.read")
    /// Enter leads by hand, follow them up, defeat them.
    public static let writeLeads = Permission(rawValue: "leads.write")
    /// Assign leads, by hand or automatically; re-activate defeated ones (sales managers).
    public static let assignLeads = Permission(rawValue: "leads.assign")
    /// Set the store's lead rules and who takes automatic assignments.
    public static let configureLeads = Permission(rawValue: "leads.configure")

    // Prospects (P1–P11)
    public static let readProspects = Permission(rawValue: "prospects.read")
    /// Register showroom traffic, follow prospects up, ask for a defeat, claim from the pools,
    /// book test drives, write purchase proposals.
    public static let writeProspects = Permission(rawValue: "prospects.write")
    /// Assign, release to and assign from the public pool, extend deadlines, re-activate,
    /// delete and restore (team leaders, sales managers).
    public static let assignProspects = Permission(rawValue: "prospects.assign")
    /// Approve defeats and claims of a former team's prospects (team leaders, sales managers).
    public static let approveProspects = Permission(rawValue: "prospects.approve")
    /// Assign out of the public pool without the former team leader's approval (特殊权限 直接分配).
    public static let assignProspectsDirectly = Permission(rawValue: "prospects.pool.assign-directly")
    /// Set the store's follow-up rules, sales rules and test-drive routes.
    public static let configureProspects = Permission(rawValue: "prospects.configure")

    // Coupons (C1–C6)
    /// See the coupon definitions, issuing tasks and the issued-coupon ledger (发放明细) of the
    /// store — and the group-wide coupons of the group.
    public static let readCoupons = Permission(rawValue: "coupons.read")
    /// Create, edit, enable and disable coupon definitions (财务总监, seed §6.1).
    public static let defineCoupons = Permission(rawValue: "coupons.definition.manage")
    /// Write and publish issuing tasks (发放任务, seed §6.2).
    public static let issueCoupons = Permission(rawValue: "coupons.issue")
    /// Approve or reject issuing tasks while the store's approval switch is on (managers).
    public static let approveCouponTasks = Permission(rawValue: "coupons.task.approve")
    /// Redeem a coupon by its code and undo a redemption (核销: SAs, cashiers).
    public static let redeemCoupons = Permission(rawValue: "coupons.redeem")
    /// Revoke an unused coupon with the customer's explanation (删除, seed §6.4).
    public static let revokeCoupons = Permission(rawValue: "coupons.revoke")
    /// Approve or reject revocations while the group's approval switch is on (总部审核, seed §8.1).
    public static let approveCouponRevocations = Permission(rawValue: "coupons.revocation.approve")
    /// Set the store's referral rule (老带新); with the group scope, the
    /// group's revocation-approval switch (优惠券审核开关, seed §8.1).
    public static let configureCoupons = Permission(rawValue: "coupons.configure")

    // Marketing (M1–M6)
    /// See the store's marketing content as staff do — drafts and withdrawn items too: news
    /// (新闻资讯, M1) and price promotions (降价促销, M2).
    public static let readMarketing = Permission(rawValue: "marketing.read")
    /// Write, publish, withdraw and delete the store's news and price promotions (市场经理, seed
    /// §9.1, §9.2).
    public static let manageMarketingContent = Permission(rawValue: "marketing.content.manage")
    /// Make channel QR codes (推广二维码, M6) and read what arrived through them.
    public static let manageChannels = Permission(rawValue: "marketing.channels.manage")
    /// Use the SMS platform (短信平台, M5; seed §9.5): templates, sends to lists, customers and
    /// registrants, the send log and its export, the opt-out list (回复TD退订) and the daily cap.
    public static let manageSms = Permission(rawValue: "marketing.sms.manage")
    /// Write events (活动管理, M3; seed §9.3): create, edit, put online, take offline, delete;
    /// see and export their registrations, check registrants in, and hand invitation tasks
    /// (邀约任务) to consultants (市场经理).
    public static let manageMarketingEvents = Permission(rawValue: "marketing.events.manage")
    /// See the invitation tasks assigned to oneself and record their follow-ups (邀约任务跟进, M3:
    /// sales consultants).
    public static let followUpInvitations = Permission(rawValue: "marketing.invitations.follow_up")
    /// Write lucky wheels (大转盘, M4; seed §9.4) with their prizes, put them online and offline,
    /// and read and export their draws and winners (市场经理).
    public static let manageWheels = Permission(rawValue: "marketing.wheels.manage")

    /// Every permission there is.
    public static let all: [Permission] = [
        .administerIdentity, .readAuditLog,
        .readVehicles, .writeVehicles, .readRepairOrders, .writeRepairOrders, .configureAfterSales,
        .readCampaigns, .manageCampaigns, .followUpCampaigns, .readRenewals, .assignRenewals, .followUpRenewals,
        .readReminders, .handleReminders, .readAfterSalesReports,
        .readVisitTemplates, .manageVisitTemplates, .readVisitTasks, .assignVisitTasks, .performVisits,
        .readComplaints, .openComplaints, .handleComplaints, .closeComplaints, .readVisitStatistics,
        .readLeads, .writeLeads, .assignLeads, .configureLeads,
        .readProspects, .writeProspects, .assignProspects, .approveProspects, .assignProspectsDirectly, .configureProspects,
        .readCoupons, .defineCoupons, .issueCoupons, .approveCouponTasks, .redeemCoupons, .revokeCoupons,
        .approveCouponRevocations, .configureCoupons,
        .readMarketing, .manageMarketingContent, .manageChannels, .manageMarketingEvents, .followUpInvitations,
        .manageWheels, .manageSms,
    ]
}
