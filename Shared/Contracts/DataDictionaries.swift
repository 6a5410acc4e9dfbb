import Foundation

/// The data dictionaries (数据字典, G5): every set of codes staff see, with the store's words for
/// them. The API and the events carry codes (`autohome`, `in_progress`); exports, printouts and
/// error messages show labels (汽车之家, 处理中).
///
/// This is the built-in catalogue: each set's codes and zh-CN labels, in the order staff see
/// them. A store's administrator relabels, reorders and disables entries, and adds entries to an
/// open set (sources, defeat reasons, complaint categories); the gateway owns those changes and
/// announces each set as `identity.dictionary.changed.v1`, which every service keeps in its
/// directory (ServiceKit's `StoreDictionary` and `Directory.dictionary(_:store:on:logger:)`).
public enum DataDictionaries {
    /// One code of a set and its label.
    public struct Entry: Codable, Sendable, Equatable {
        /// What the API and the database carry, e.g. `autohome`.
        public var code: String
        /// What staff read, e.g. `汽车之家`.
        public var label: String

        public init(_ code: String, _ label: String) {
            self.code = code
            self.label = label
        }
    }

    /// A set of codes (`leadSource`), its title (线索来源) and built-in entries.
    public struct Set: Sendable, Identifiable {
        /// The set's name in the API: `GET /api/v1/dictionaries/leadSource`.
        public var id: String
        /// The set's name as staff say it.
        public var title: String
        /// Whether a store may add entries of its own; the codes of a closed set are the ones the
        /// services' rules know (a state, a level).
        public var isOpen: Bool
        public var entries: [Entry]

        public init(_ id: String, _ title: String, open: Bool = false, _ entries: [Entry]) {
            self.id = id
            self.title = title
            self.isOpen = open
            self.entries = entries
        }

        /// The built-in label of a code.
        public func label(of code: String) -> String? {
            entries.first { $0.code == code }?.label
        }
    }

    /// The set with that name, or nil.
    public static func set(_ id: String) -> Set? {
        all.first { $0.id == id }
    }

    // MARK: Shared

    public static let gender = Set("gender", "性别", [.init("male", "男"), .init("female", "女")])

    /// Sales defeat reasons (战败原因) of leads and prospects; the store's defeat pool names some
    /// of them (§8.2 战败池: 产品类, 品牌类, 其他).
    public static let defeatReason = Set("defeatReason", "战败原因", open: true, [
        .init("price", "价格因素"), .init("product", "产品不满意"), .init("brand", "选择其他品牌"),
        .init("competitor", "在其他经销商购买"), .init("budget", "预算不足"), .init("no_plan", "暂无购车计划"),
        .init("unreachable", "无法联系"), .init("other", "其他"),
    ])

    // MARK: Leads

    public static let leadSource = Set("leadSource", "线索来源", open: true, [
        .init("autohome", "汽车之家"), .init("yiche", "易车"), .init("dongchedi", "懂车帝"),
        .init("website", "官网"), .init("phone", "电话"), .init("other", "其他"),
    ])
    public static let leadLevel = Set("leadLevel", "线索级别", [
        .init("H", "H级（7天内购车）"), .init("A", "A级（15天内）"), .init("B", "B级（30天内）"), .init("C", "C级（30天以上）"),
    ])
    public static let leadState = Set("leadState", "线索状态", [
        .init("new", "待分配"), .init("assigned", "已分配"), .init("defeated", "已战败"), .init("arrived", "已到店"),
    ])
    public static let leadFollowUpChannel = Set("leadFollowUpChannel", "线索跟进方式", [
        .init("phone", "电话"), .init("sms", "短信"), .init("wechat", "微信"), .init("visit", "到店"), .init("other", "其他"),
    ])

    // MARK: Prospects

    public static let prospectSource = Set("prospectSource", "客户来源", open: true, [
        .init("walk_in", "自然到店"), .init("referral", "老客户介绍"), .init("showroom_event", "展厅活动"),
        .init("factory_direct", "厂家直购"), .init("secondary_dealer", "二网"), .init("repurchase", "重新购买"),
        .init("online_lead", "网销线索"), .init("defeat_pool", "战败池"), .init("other", "其他"),
    ])
    public static let prospectCategory = Set("prospectCategory", "登记大类", [
        .init("showroom", "展厅"), .init("online", "网络"), .init("key_account", "大客户"),
    ])
    public static let trafficArrival = Set("trafficArrival", "登记方式", [.init("showroom", "来店"), .init("phone", "来电")])
    public static let trafficNature = Set("trafficNature", "获取性质", [
        .init("first_visit", "首次到店"), .init("second_visit", "二次到店"), .init("repeat_visit", "再次到店"),
    ])
    public static let prospectLevel = Set("prospectLevel", "意向级别", [
        .init("H", "H级（7天内购车）"), .init("A", "A级（15天内）"), .init("B", "B级（30天内）"), .init("C", "C级（30天以上）"),
        .init("O", "O级（已订车）"),
    ])
    public static let prospectState = Set("prospectState", "潜客状态", [
        .init("active", "跟进中"), .init("defeat_pending", "战败待审批"), .init("defeated", "已战败"),
        .init("ordered", "已订车"), .init("delivered", "已交车"),
    ])
    public static let followUpMethod = Set("followUpMethod", "跟进方式", [
        .init("visit", "外出拜访"), .init("showroom", "展厅接待"), .init("phone", "电话回访"), .init("email", "电子邮件"),
        .init("sms", "短信问候"), .init("mail", "邮寄资料"),
    ])
    public static let followUpContent = Set("followUpContent", "跟进内容", [
        .init("invite", "邀约到店"), .init("view_car", "看车"), .init("return_visit", "再回展厅"), .init("trade_in", "二手车置换"),
        .init("needs_analysis", "需求分析"), .init("vehicle_intro", "车辆介绍"), .init("negotiation", "协商议价"),
    ])
    public static let followUpResult = Set("followUpResult", "跟进结果", [
        .init("updated_info", "维护客户信息"), .init("failed", "执行失败"), .init("postponed", "延期访问"),
        .init("new_info", "新建客户信息"), .init("no_intent", "客户无意向"), .init("abandoned", "放弃访问"),
        .init("wrong_info", "信息不准"), .init("completed", "已完成"), .init("continue", "继续跟进"),
    ])
    public static let followUpContact = Set("followUpContact", "接触次数", [.init("first", "首次接触"), .init("repeated", "两次或两次以上")])
    public static let nextFollowUpContent = Set("nextFollowUpContent", "下次跟进内容", [
        .init("return_visit", "再回展厅"), .init("appointment", "预约看车"), .init("test_drive", "试乘试驾"),
        .init("order", "订交全"), .init("delivery", "交车"), .init("routine", "常规跟进"),
    ])
    public static let testDriveKind = Set("testDriveKind", "试驾类型", [.init("ride", "试乘"), .init("drive", "试驾")])
    public static let testDriveState = Set("testDriveState", "试驾状态", [
        .init("booked", "已预约"), .init("started", "试驾中"), .init("finished", "已完成"), .init("cancelled", "已取消"),
    ])

    // MARK: After-sales

    public static let repairBusinessType = Set("repairBusinessType", "业务类型", [
        .init("generalRepair", "一般维修"), .init("accidentRepair", "事故维修"), .init("paidMaintenance", "付费保养"),
        .init("warranty", "保修索赔"), .init("firstMaintenance", "首保"), .init("other", "其他"),
    ])
    public static let repairOrderState = Set("repairOrderState", "工单状态", [
        .init("open", "在修"), .init("completed", "已完工"),
    ])
    /// How a customer of the after-sales file came to the store (客户来源, AS2; a condition of the
    /// solicitation campaigns, AS4): bought the car here, sent by a customer, walked in, found the
    /// store online, sent by their insurer after an accident (保险推修), or otherwise.
    public static let customerSource = Set("customerSource", "客户来源（售后）", open: true, [
        .init("new_car_sale", "新车销售"), .init("referral", "老客户介绍"), .init("walk_in", "自然进店"),
        .init("online", "网络"), .init("insurance_referral", "保险推修"), .init("other", "其他"),
    ])
    /// The after-sales customer classes (售后客户类别, AS5; seed §8.3 售后招揽回访频次), which the
    /// CRM works out from a car's visits on the store's calendar.
    public static let customerClass = Set("customerClass", "客户类别", [
        .init("loyal", "忠诚客户"), .init("favoured", "优惠客户"), .init("ordinary", "普通客户"),
        .init("lost", "流失客户"), .init("potential", "潜在客户"),
    ])
    /// After-sales solicitation defeat reasons (售后招揽战败原因, seed §8.3): internal, then external.
    public static let afterSalesDefeatReason = Set("afterSalesDefeatReason", "售后招揽战败原因", open: true, [
        .init("price", "4S店价格贵"), .init("workmanship", "4S店维修技术不好"), .init("waiting_time", "维修等待时间太长"),
        .init("attitude", "服务态度差"), .init("unreachable", "无法取得联系"), .init("moved", "客户搬迁"),
        .init("rarely_driven", "车不怎么开/里程少"), .init("other_garage", "去其他维修厂"), .init("car_sold", "车辆转卖"),
        .init("other", "其他（外地车/没时间来店）"),
    ])
    /// What a solicitation campaign is for (招揽类型, AS4; seed §5.1).
    public static let campaignKind = Set("campaignKind", "招揽类型", [
        .init("regular_maintenance", "定保招揽"), .init("first_maintenance", "首保招揽"), .init("warranty", "质保招揽"),
        .init("lost_customers", "流失客户招揽"), .init("other", "其他"),
    ])
    /// How a campaign reaches its customers, and how a follow-up was made (招揽方式, seed §5.1).
    public static let campaignContactMethod = Set("campaignContactMethod", "招揽方式", [
        .init("phone", "拨打电话"), .init("sms", "发送短信"), .init("wechat", "微信"), .init("letter", "信函"),
    ])
    /// Where a campaign is: a draft, published and waiting for the next day (待上线), live, ended.
    public static let campaignState = Set("campaignState", "招揽活动状态", [
        .init("draft", "草稿"), .init("published", "已发布待上线"), .init("live", "进行中"), .init("ended", "已结束"),
    ])
    /// Where one car of a campaign is (招揽任务状态, seed §5.2): followed up, back (招揽成功),
    /// defeated (战败), not back by the end (未回厂).
    public static let campaignTaskState = Set("campaignTaskState", "招揽任务状态", [
        .init("open", "跟进中"), .init("succeeded", "招揽成功"), .init("defeated", "战败"), .init("failed", "到期未回厂"),
    ])
    /// What one follow-up of a campaign task came to.
    public static let campaignFollowUpResult = Set("campaignFollowUpResult", "招揽跟进结果", [
        .init("booked", "已预约进厂"), .init("interested", "有意向"), .init("considering", "考虑中"),
        .init("unreachable", "未接通"), .init("call_again", "再次跟进"),
    ])

    /// The kinds of care reminder (关怀提醒, AS7; seed 002: 定期保养, 年审, 生日关怀, 质保到期, 驾驶证年审),
    /// which the CRM generates from the vehicle files.
    public static let reminderKind = Set("reminderKind", "关怀类型", [
        .init("maintenance", "定期保养"), .init("annual_inspection", "年审"), .init("birthday", "生日关怀"),
        .init("warranty_expiry", "质保到期"), .init("licence_review", "驾驶证审验"),
    ])
    /// How a care reminder reaches the customer (提醒方式, seed 002: 电话, 信件, 短信; phone by default).
    public static let reminderContactMethod = Set("reminderContactMethod", "提醒方式", [
        .init("phone", "电话"), .init("letter", "信件"), .init("sms", "短信"),
    ])

    /// The stages of an insurance-renewal task (续保招揽级别, SPEC AS6, seed §5.3): level 1 from
    /// the store's first number of days before the policy expires, level 2 from its second.
    public static let renewalStage = Set("renewalStage", "续保招揽级别", [
        .init("level1", "一级续保招揽"), .init("level2", "二级续保招揽"),
    ])
    /// The states of an insurance-renewal task (SPEC AS6): followed up, renewed before the
    /// expiry (success), the expiry passed unrenewed or defeated (failure).
    public static let renewalState = Set("renewalState", "续保招揽状态", [
        .init("open", "跟进中"), .init("renewed", "续保成功"), .init("expired", "已过期未续保"), .init("defeated", "战败"),
    ])

    // MARK: Coupons

    /// What a coupon is (优惠券类型, C1; seed §6.1, §6.3).
    public static let couponKind = Set("couponKind", "优惠券类型", [
        .init("general", "全部券"), .init("item", "项目券"), .init("package", "套餐券"), .init("cash", "现金券"),
        .init("points", "积分券"),
    ])
    /// How long a coupon is valid (有效期类型, C1): between two days, or a number of days from its issue.
    public static let couponValidity = Set("couponValidity", "有效期类型", [
        .init("fixed", "按起止日期"), .init("days_from_issue", "按发放后天数"),
    ])
    /// Where a coupon may be used (使用范围, C1): the issuing store, or every store of the group.
    public static let couponUsableIn = Set("couponUsableIn", "使用范围", [
        .init("store", "本店"), .init("group", "集团各店"),
    ])
    /// Where one issued coupon is (C3): `expired` is an unused coupon past its last day.
    public static let couponState = Set("couponState", "优惠券状态", [
        .init("unused", "未使用"), .init("used", "已使用"), .init("expired", "已过期"), .init("revoked", "已删除"),
        .init("revocation_pending", "删除待审核"),
    ])
    /// How an issuing task finds its customers (任务类型, C2; seed §6.2).
    public static let couponTaskKind = Set("couponTaskKind", "发放任务类型", [
        .init("quick", "快速发券"), .init("conditional", "条件发券"), .init("imported", "导表发券"),
    ])
    /// How coupons reach the customers (发券类型, C2): issued at once, or claimed from a link.
    public static let couponIssueMode = Set("couponIssueMode", "发券类型", [
        .init("push", "发券"), .init("claim", "领券"),
    ])
    /// Where an issuing task is (C2).
    public static let couponTaskState = Set("couponTaskState", "发放任务状态", [
        .init("draft", "草稿"), .init("awaiting_approval", "待审核"), .init("rejected", "审核未通过"),
        .init("issued", "已发放"), .init("claiming", "领取中"), .init("closed", "已结束"),
    ])
    /// What a coupon was used on (核销单据, C4).
    public static let couponOrderKind = Set("couponOrderKind", "核销单据类型", [
        .init("repair_order", "维修工单"), .init("sales_order", "销售订单"),
    ])
    /// Where a revocation is while the group's approval switch is on (C5; seed §8.1).
    public static let couponRevocationState = Set("couponRevocationState", "删除审核状态", [
        .init("pending", "待审核"), .init("approved", "已通过"), .init("rejected", "已驳回"),
    ])

    // MARK: Marketing

    /// What a news article is about (新闻分类, M1; seed §9.1).
    public static let newsCategory = Set("newsCategory", "新闻分类", [
        .init("store_news", "门店动态"), .init("new_model", "新车上市"), .init("car_care", "用车养车"),
        .init("industry", "行业资讯"), .init("event_review", "活动回顾"),
    ])
    /// Where a news article or a price promotion is (发布状态, M1, M2; seed §9.1, §9.2): written
    /// but not shown, shown on the customer-facing site, taken off it.
    public static let publicationState = Set("publicationState", "发布状态", [
        .init("draft", "草稿"), .init("published", "已发布"), .init("withdrawn", "已撤回"),
    ])
    /// What a channel QR code (推广二维码, M6; SCRM brochure) is printed on or given to.
    public static let channelKind = Set("channelKind", "推广渠道类型", [
        .init("poster", "海报"), .init("partner", "合作伙伴"), .init("consultant", "顾问个人码"),
        .init("online", "线上投放"), .init("other", "其他"),
    ])
    /// Where an event is (活动状态, M3; seed §9.3): written (待上架), open to registrations on the
    /// customer-facing pages (已上架), or withdrawn (已下架).
    public static let marketingEventState = Set("marketingEventState", "活动状态", [
        .init("pending", "待上架"), .init("online", "已上架"), .init("offline", "已下架"),
    ])
    /// Whether an event costs the customer something (活动是否收费, M3; seed §9.3, the SCRM
    /// brochure's 诚意金): free, a fee, or a deposit that brings the customer back to the store.
    public static let marketingEventCharge = Set("marketingEventCharge", "活动收费", [
        .init("free", "免费"), .init("fee", "收费"), .init("deposit", "诚意金"),
    ])
    /// How a consultant reached a customer about an event (邀约方式, M3).
    public static let invitationMethod = Set("invitationMethod", "邀约方式", [
        .init("phone", "电话"), .init("sms", "短信"), .init("wechat", "微信"), .init("visit", "拜访"), .init("other", "其他"),
    ])
    /// What an invitation follow-up came to (邀约结果, M3).
    public static let invitationResult = Set("invitationResult", "邀约结果", [
        .init("invited", "已邀约"), .init("declined", "拒绝"), .init("unreachable", "无法联系"),
    ])
    /// Who may spin a lucky wheel (抽奖对象, M4): anyone who opens the page, the registrants of
    /// one event (现场抽奖 at the event), or the store's known customers.
    public static let wheelAudience = Set("wheelAudience", "抽奖对象", [
        .init("anyone", "所有人"), .init("registrants", "活动报名客户"), .init("customers", "在册客户"),
    ])
    /// Whether a wheel's draws per person count per store day or for the whole wheel (M4).
    public static let wheelDrawPeriod = Set("wheelDrawPeriod", "抽奖次数周期", [
        .init("day", "每天"), .init("wheel", "活动期间"),
    ])
    /// What a wheel's prize is (奖品类型, M4): a gift handed over at the store, or a coupon issued
    /// through Coupons.
    public static let wheelPrizeKind = Set("wheelPrizeKind", "奖品类型", [
        .init("gift", "实物奖品"), .init("coupon", "优惠券"),
    ])
    /// What a draw came to (抽奖结果, M4).
    public static let wheelDrawOutcome = Set("wheelDrawOutcome", "抽奖结果", [
        .init("won", "中奖"), .init("no_prize", "谢谢参与"), .init("issuing", "奖品发放中"),
    ])

    // MARK: Customer service

    public static let complaintLevel = Set("complaintLevel", "投诉级别", [
        .init("minor", "轻微"), .init("general", "一般"), .init("urgent", "紧急"), .init("severe", "严重"),
    ])
    public static let complaintSource = Set("complaintSource", "投诉来源", [
        .init("visit", "回访"), .init("phone", "电话"), .init("walk_in", "到店"), .init("online", "网络"), .init("other", "其他"),
    ])
    public static let complaintState = Set("complaintState", "投诉状态", [
        .init("pending", "待处理"), .init("in_progress", "处理中"), .init("resolved", "已解决"), .init("closed", "已关闭"),
    ])
    public static let complaintCategory = Set("complaintCategory", "投诉类别", open: true, [
        .init("service", "服务态度"), .init("quality", "维修质量"), .init("price", "收费价格"), .init("waiting", "等待时间"),
        .init("parts", "配件"), .init("sales", "销售"), .init("dissatisfied_visit", "回访不满意"), .init("other", "其他"),
    ])
    public static let visitResult = Set("visitResult", "回访结果", [
        .init("done", "已回访"), .init("unreachable", "无法接通"), .init("refused", "拒绝回访"), .init("call_again", "再次回访"),
    ])
    public static let visitKind = Set("visitKind", "回访类型", [
        .init("sales", "销售回访"), .init("after_sales", "售后回访"), .init("customer_service", "客服回访"),
    ])
    public static let visitTaskState = Set("visitTaskState", "回访任务状态", [
        .init("pending", "待分配"), .init("assigned", "待回访"), .init("visited", "已回访"), .init("closed", "已关闭"),
    ])
    public static let visitOrderType = Set("visitOrderType", "回访业务", [
        .init("repair", "维修工单"), .init("new_car", "新车交付"), .init("prospect", "潜客跟进"),
    ])

    /// Every set, in the order `GET /api/v1/dictionaries` lists them.
    public static let all: [Set] = [
        gender, defeatReason,
        leadSource, leadLevel, leadState, leadFollowUpChannel,
        prospectSource, prospectCategory, trafficArrival, trafficNature, prospectLevel, prospectState,
        followUpMethod, followUpContent, followUpResult, followUpContact, nextFollowUpContent, testDriveKind, testDriveState,
        repairBusinessType, repairOrderState, afterSalesDefeatReason, customerSource, customerClass,
        campaignKind, campaignContactMethod, campaignState, campaignTaskState, campaignFollowUpResult,
        renewalStage, renewalState, reminderKind, reminderContactMethod,
        couponKind, couponValidity, couponUsableIn, couponState, couponTaskKind, couponIssueMode, couponTaskState,
        couponOrderKind, couponRevocationState,
        newsCategory, publicationState, channelKind, marketingEventState, marketingEventCharge, invitationMethod, invitationResult,
        wheelAudience, wheelDrawPeriod, wheelPrizeKind, wheelDrawOutcome,
        complaintLevel, complaintSource, complaintState, complaintCategory, visitResult, visitKind, visitTaskState, visitOrderType,
    ]
}

/// A store's dictionary set changed: an entry was relabelled, reordered, disabled, enabled or
/// added (G5). The gateway owns dictionaries; every service keeps the sets from this event.
public struct IdentityDictionaryChanged: EventPayload, Equatable {
    public static let eventType = "identity.dictionary.changed.v1"

    /// One entry as the store has it.
    public struct Entry: Codable, Sendable, Equatable {
        public var code: String
        public var label: String
        /// A disabled entry is refused on new writes and still shown on old records.
        public var enabled: Bool
        /// Whether the entry is one of the built-in catalogue's (not added by the store).
        public var builtIn: Bool

        public init(code: String, label: String, enabled: Bool, builtIn: Bool) {
            self.code = code
            self.label = label
            self.enabled = enabled
            self.builtIn = builtIn
        }
    }

    public var storeId: UUID
    /// The set's name, e.g. `leadSource` (see `DataDictionaries`).
    public var set: String
    /// Every entry of the set in the store's order — the whole set, so a reader replaces its copy.
    public var entries: [Entry]
    /// Grows with every change of this store's set; a consumer ignores an older version.
    public var version: Int64

    public init(storeId: UUID, set: String, entries: [Entry], version: Int64) {
        self.storeId = storeId
        self.set = set
        self.entries = entries
        self.version = version
    }
}
