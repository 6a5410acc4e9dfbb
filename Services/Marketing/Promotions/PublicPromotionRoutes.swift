import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/public/marketing/promotions?store=HX000001` (M2, seed §9.2: 在车管家前端展示):
/// the store's current promotions for the customer-facing site, without logging in (the gateway
/// rate-limits the public prefix). "Current" is published, with today on the store's calendar
/// (its time zone from the directory) from `validFrom` to `validUntil`, both days included.
/// With an `ETag`, and `304 Not Modified` for an `If-None-Match` that names it.
struct PublicPromotionRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("promotions", use: list)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let storeCode = query.string("store", maxLength: 20)
        var check = FieldValidator()
        if storeCode == nil { check.fail("store", "is required: the store's code, e.g. HX000001") }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        let listed = try await environment.database.withTransaction { connection in
            let store = try await PublicStoreLookup.require(storeCode!, on: connection, logger: environment.logger)
            let today = StoreDay(now: environment.configuration.clock.now(), timeZone: store.timeZone).today
            let promotions = try await PromotionStore(connection: connection, logger: environment.logger)
                .current(store: store.id, today: today, page: page)
            return Page(
                items: promotions.items.map {
                    PublicPricePromotion(
                        id: $0.id, title: $0.title, brand: $0.brand, series: $0.series, model: $0.model, listPrice: $0.listPrice,
                        discount: $0.discount, promotionPrice: $0.promotionPrice, conditions: $0.conditions, validFrom: $0.validFrom,
                        validUntil: $0.validUntil, content: $0.content)
                },
                request: page, total: promotions.total)
        }
        return try Response.revalidatedJSON(listed, request: request, context: context)
    }
}
