import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// Who may spin a wheel (`wheelAudience`, M4).
enum WheelAudience: String, Codable, Sendable, CaseIterable {
    /// Anyone who opens the page, by mobile (线上抽奖).
    case anyone
    /// The registrants of one event (`audienceEventId`): the draw at the event (现场抽奖).
    case registrants
    /// A mobile Marketing knows as one of the store's prospects.
    case customers
}

/// Whether a wheel's draws per person count per store day or for the whole wheel (`wheelDrawPeriod`).
enum WheelDrawPeriod: String, Codable, Sendable, CaseIterable {
    case day
    case wheel
}

/// What a prize is (`wheelPrizeKind`).
enum WheelPrizeKind: String, Codable, Sendable, CaseIterable {
    /// Handed over at the store (实物奖品).
    case gift
    /// A coupon of a Coupons definition of the store, issued to the winner's mobile when drawn.
    case coupon
}

/// What a draw came to (`wheelDrawOutcome`).
enum WheelDrawOutcome: String, Codable, Sendable, CaseIterable {
    case won
    /// 谢谢参与: the spin landed on no prize, on a prize out of stock, or on a coupon Coupons
    /// could not issue (`note` says which).
    case noPrize = "no_prize"
    /// A coupon prize being asked of Coupons; settled within seconds, or by the settling pass.
    case issuing
}

/// A prize as the marketing manager writes it; the prizes' order is the bands' order on the wheel.
struct WheelPrizeDraft: Decodable, Sendable {
    var name: String
    /// `wheelPrizeKind`: gift (the default) or coupon.
    var kind: String?
    /// For a coupon prize: the Coupons definition (of the wheel's store) each winner gets one of.
    var couponDefinitionId: UUID?
    /// Odds in basis points (1 bp = 0.01%; 10,000 = always); the prizes' odds add up to at most
    /// 10,000 and what is left is "no prize".
    var basisPoints: Int
    /// How many may be won (库存).
    var stock: Int
}

/// A wheel as the marketing manager writes it (`POST /marketing/wheels`; `PUT` for the whole
/// wheel again while it is pending) — seed §9.4 发布大转盘抽奖内容.
struct WheelDraft: Decodable, Sendable {
    var name: String
    var rules: String?
    /// When it takes draws, on the store's clock: `2026-12-20 09:00` (or RFC 3339 with its offset).
    var startsAt: String
    var endsAt: String
    /// `wheelAudience`: anyone (the default), registrants (of `audienceEventId`), customers.
    var audience: String?
    var audienceEventId: UUID?
    /// Draws per mobile (1–100, default 1), per `drawPeriod`: day (每天, the store's day) or
    /// wheel (活动期间, the default).
    var drawsPerPerson: Int?
    var drawPeriod: String?
    var prizes: [WheelPrizeDraft]
}

/// A checked prize.
struct WheelPrizeFields: Sendable, Equatable {
    var name: String
    var kind: WheelPrizeKind
    var couponDefinitionId: UUID?
    var basisPoints: Int
    var stock: Int
}

/// A checked draft, ready to store (coupon definitions still to be checked with Coupons).
struct WheelFields: Sendable, Equatable {
    var name: String
    var rules: String?
    var startsAt: Date
    var endsAt: Date
    var audience: WheelAudience
    var audienceEventId: UUID?
    var drawsPerPerson: Int
    var drawPeriod: WheelDrawPeriod
    var prizes: [WheelPrizeFields]

    static let mostPrizes = 12
    static let largestStock = 1_000_000

    /// Checks `draft`, reading its times on the store's clock; one 422 names every bad field
    /// (`prizes[2].basisPoints`).
    init(checking draft: WheelDraft, dictionaries: StoreDictionaries, timeZone: TimeZone) throws {
        var check = FieldValidator()
        name = check.text("name", draft.name, maxLength: 60)
        // Shown as rich text on the customer-facing page: through the sanitiser's allow-list.
        rules = check.optionalText("rules", draft.rules, maxLength: 5_000).map { RichTextSanitizer.sanitize($0) }
        let startsAt = check.storeTime("startsAt", draft.startsAt, timeZone: timeZone)
        let endsAt = check.storeTime("endsAt", draft.endsAt, timeZone: timeZone)
        if let startsAt, let endsAt {
            check.require(endsAt > startsAt, "endsAt", "must be after startsAt (\(LocalDateTime(startsAt, in: timeZone).text))")
        }
        self.startsAt = startsAt ?? Date(timeIntervalSince1970: 0)
        self.endsAt = endsAt ?? Date(timeIntervalSince1970: 0)
        if let text = draft.audience, !text.trimmed.isEmpty {
            audience = check.requiredCode("audience", text, in: dictionaries[DataDictionaries.wheelAudience], as: WheelAudience.self) ?? .anyone
        } else {
            audience = .anyone
        }
        audienceEventId = draft.audienceEventId
        if audience == .registrants {
            check.require(draft.audienceEventId != nil, "audienceEventId", "is required for audience registrants: the event whose registrants draw")
        } else {
            check.require(draft.audienceEventId == nil, "audienceEventId", "is only for audience registrants")
        }
        drawsPerPerson = draft.drawsPerPerson ?? 1
        check.range("drawsPerPerson", drawsPerPerson, 1...100)
        if let text = draft.drawPeriod, !text.trimmed.isEmpty {
            drawPeriod = check.requiredCode("drawPeriod", text, in: dictionaries[DataDictionaries.wheelDrawPeriod], as: WheelDrawPeriod.self) ?? .wheel
        } else {
            drawPeriod = .wheel
        }
        check.require(!draft.prizes.isEmpty && draft.prizes.count <= Self.mostPrizes, "prizes", "must hold 1 to \(Self.mostPrizes) prizes")
        var prizes: [WheelPrizeFields] = []
        for (index, prize) in draft.prizes.prefix(Self.mostPrizes).enumerated() {
            let field = "prizes[\(index)]"
            let name = check.text("\(field).name", prize.name, maxLength: 30)
            var kind = WheelPrizeKind.gift
            if let text = prize.kind, !text.trimmed.isEmpty {
                kind = check.requiredCode("\(field).kind", text, in: dictionaries[DataDictionaries.wheelPrizeKind], as: WheelPrizeKind.self) ?? .gift
            }
            switch kind {
            case .coupon:
                check.require(prize.couponDefinitionId != nil, "\(field).couponDefinitionId", "is required for a coupon prize: the coupon definition (M…) it issues")
            case .gift:
                check.require(prize.couponDefinitionId == nil, "\(field).couponDefinitionId", "is only for a coupon prize (kind coupon)")
            }
            check.range("\(field).basisPoints", prize.basisPoints, 0...PrizeDraw<Int>.scale)
            check.range("\(field).stock", prize.stock, 0...Self.largestStock)
            prizes.append(WheelPrizeFields(
                name: name, kind: kind, couponDefinitionId: kind == .coupon ? prize.couponDefinitionId : nil,
                basisPoints: prize.basisPoints, stock: prize.stock))
        }
        if draft.prizes.allSatisfy({ (0...PrizeDraw<Int>.scale).contains($0.basisPoints) }) {
            do {
                _ = try PrizeDraw(draft.prizes.map { PrizeDraw.Band(prize: 0, basisPoints: $0.basisPoints) })
            } catch {
                check.fail("prizes", "\(error); what the prizes leave of 10,000 is no prize (谢谢参与)")
            }
        }
        self.prizes = prizes
        try check.throwIfInvalid()
    }
}

/// A prize as staff see it.
struct WheelPrizeView: Codable, Sendable {
    var id: UUID
    /// 1 for the first band on the wheel.
    var position: Int
    var name: String
    var kind: String
    var couponDefinitionId: UUID?
    /// The coupon definition's number (M…), as Coupons answered when the wheel was saved.
    var couponDefinitionNumber: String?
    var basisPoints: Int
    /// What is left to win.
    var stock: Int
    /// How many were won.
    var won: Int
}

/// How many drew and won.
struct WheelCounts: Codable, Sendable, Equatable {
    var draws: Int
    var winners: Int
}

/// A wheel as staff see it; times are UTC instants with the same instants on the store's clock.
struct WheelView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// The number staff quote: `DZ` + the store's day + a sequence (`DZ2612010001`).
    var number: String
    var storeId: UUID
    var name: String
    var rules: String?
    var startsAt: Date
    var endsAt: Date
    var startsAtLocal: String
    var endsAtLocal: String
    var audience: String
    var audienceEventId: UUID?
    var drawsPerPerson: Int
    var drawPeriod: String
    /// `marketingEventState`: pending 待上架, online 已上架, offline 已下架.
    var state: String
    /// Whether the public page takes draws now: online and within the period.
    var open: Bool
    /// The public path the customer-facing page posts draws to.
    var drawPath: String
    var prizes: [WheelPrizeView]
    /// The chance of no prize (谢谢参与), in basis points.
    var noPrizeBasisPoints: Int
    var counts: WheelCounts
    var createdAt: Date
    var updatedAt: Date
}

extension WheelView {
    /// `/api/v1/public/marketing/wheels/{id}/draws`.
    static func drawPath(of id: UUID) -> String {
        "/api/v1/public/marketing/wheels/\(id.uuidString.lowercased())/draws"
    }
}

/// The wheel as the customer-facing page shows it: its prizes by name, not their stock or odds.
struct PublicWheelView: Codable, Sendable, ResponseEncodable {
    struct Prize: Codable, Sendable {
        var position: Int
        var name: String
        var kind: String
    }

    var id: UUID
    var name: String
    var rules: String?
    var startsAtLocal: String
    var endsAtLocal: String
    var drawsPerPerson: Int
    var drawPeriod: String
    var drawPeriodLabel: String
    var prizes: [Prize]
    var open: Bool
}

/// A customer's draw (`POST /api/v1/public/marketing/wheels/{id}/draws`).
struct DrawRequest: Decodable, Sendable {
    var mobile: String
    var name: String?
}

/// What the page shows after a spin.
struct DrawReceipt: Codable, Sendable, ResponseEncodable {
    var drawId: UUID
    /// `wheelDrawOutcome`: won, no_prize, or issuing (a coupon prize still on its way: the page
    /// reads the draw again with `GET …/draws/{drawId}?mobile=`).
    var outcome: String
    var outcomeLabel: String
    var prizeName: String?
    var prizeKind: String?
    /// For a coupon prize won: its last day (store calendar). Never the coupon's code — the draw
    /// is public and proves nothing about who holds the mobile, while a code is all a redemption
    /// needs; the coupon is the mobile's in Coupons, where the store finds it by mobile (the
    /// winner shows the phone at the till) and staff see it in the draw log.
    var couponLastDay: String?
    /// Draws the mobile has left in this period.
    var drawsLeft: Int
}

/// One draw in the draw log (抽奖记录) and the winners list (中奖名单).
struct WheelDrawView: Codable, Sendable {
    var id: UUID
    var wheelId: UUID
    var mobile: String
    var name: String?
    var drawnAt: Date
    var drawnAtLocal: String
    var prizeId: UUID?
    var prizeName: String?
    var prizeKind: String?
    var outcome: String
    var couponCode: String?
    var couponLastDay: String?
    /// Why a prize became no prize: `out_of_stock`, or Coupons' answer (`sold_out`, `disabled`,
    /// `limit_reached`, `validity_over`, `unknown_definition`).
    var note: String?
}
