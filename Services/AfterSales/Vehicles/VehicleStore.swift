import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Vehicle files in `aftersales.vehicle`, always within one store.
struct VehicleStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        SELECT v.id, v.store_id, v.vin, v.plate, v.brand, v.series, v.model, v.color, v.transmission, v.engine_no,
               to_char(v.purchase_date, 'YYYY-MM-DD'), to_char(v.registration_date, 'YYYY-MM-DD'),
               to_char(v.insurance_expiry, 'YYYY-MM-DD'), v.owner_name, v.owner_mobile, v.user_name, v.user_mobile,
               v.driver_name, v.driver_mobile, v.source, v.created_at, v.updated_at
        """

    /// One page of the store's files matching `filter`, newest first.
    func list(_ filter: VehicleFilter, store: UUID, page: PageRequest) async throws -> Page<VehicleView> {
        var sql = QueryBuilder(" FROM aftersales.vehicle v WHERE v.store_id = ")
        sql.append("", bind: store)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "v.created_at DESC, v.id", page)
        return Page(items: try await rows(select.build(prefix: Self.columns)), request: page, total: total)
    }

    /// The file if it belongs to `store`; `forUpdate` locks it for the rest of the transaction.
    func vehicle(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> VehicleView? {
        var sql = QueryBuilder(" FROM aftersales.vehicle v WHERE v.id = ")
        sql.append("", bind: id)
        sql.append(" AND v.store_id = ", bind: store)
        if forUpdate { sql.append(" FOR UPDATE") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    /// The store's file of the car with this VIN, if it has one.
    func vehicle(vin: String, store: UUID) async throws -> VehicleView? {
        var sql = QueryBuilder(" FROM aftersales.vehicle v WHERE v.store_id = ")
        sql.append("", bind: store)
        sql.append(" AND v.vin = ", bind: vin)
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    /// Creates a file entered by staff; false if the store has a file with this VIN already.
    func create(id: UUID, store: UUID, fields: VehicleFields) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO aftersales.vehicle (
                id, store_id, vin, plate, brand, series, model, color, transmission, engine_no,
                purchase_date, registration_date, insurance_expiry, owner_name, owner_mobile,
                user_name, user_mobile, driver_name, driver_mobile, source)
            VALUES (
                \(id), \(store), \(fields.vin), \(fields.plate), \(fields.brand), \(fields.series), \(fields.model),
                \(fields.color), \(fields.transmission), \(fields.engineNo), \(fields.purchaseDate)::date,
                \(fields.registrationDate)::date, \(fields.insuranceExpiry)::date, \(fields.owner.name), \(fields.owner.mobile),
                \(fields.user?.name), \(fields.user?.mobile), \(fields.driver?.name), \(fields.driver?.mobile), 'crm')
            ON CONFLICT (store_id, vin) DO NOTHING
            RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    /// Replaces every field of the file; false if another file of its store has the new VIN.
    func update(_ id: UUID, fields: VehicleFields) async throws -> Bool {
        do {
            try await connection.query("""
                UPDATE aftersales.vehicle SET
                    vin = \(fields.vin), plate = \(fields.plate), brand = \(fields.brand), series = \(fields.series),
                    model = \(fields.model), color = \(fields.color), transmission = \(fields.transmission),
                    engine_no = \(fields.engineNo), purchase_date = \(fields.purchaseDate)::date,
                    registration_date = \(fields.registrationDate)::date, insurance_expiry = \(fields.insuranceExpiry)::date,
                    owner_name = \(fields.owner.name), owner_mobile = \(fields.owner.mobile),
                    user_name = \(fields.user?.name), user_mobile = \(fields.user?.mobile),
                    driver_name = \(fields.driver?.name), driver_mobile = \(fields.driver?.mobile),
                    updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.uniqueViolation {
            return false
        }
    }

    private static let uniqueViolation = "23505"

    /// Gives a car seen on a repair order a file, unless its store has one already: the
    /// repair order's customer becomes the owner. An existing file is left as staff keep it.
    func createIfAbsent(store: UUID, fromRepairOrderOf car: CarOnRepairOrder) async throws {
        try await createIfAbsent([(store, car)])
    }

    /// `createIfAbsent` for the cars of a batch of repair orders, with one statement. A car on
    /// several of them gets its file from the first, as one at a time, and a car without a VIN
    /// none. The files go in in key order, so that two batches that both start a car's file
    /// wait for each other in the same order and cannot deadlock.
    func createIfAbsent(_ cars: [(store: UUID, car: CarOnRepairOrder)]) async throws {
        var seen = Set<String>()
        let firsts = cars.filter { !$0.car.vin.isEmpty && seen.insert("\($0.store)/\($0.car.vin)").inserted }
        guard !firsts.isEmpty else { return }
        var binds = PostgresBindings(capacity: 10)
        binds.append(firsts.map { _ in UUID() })
        binds.append(firsts.map { $0.store })
        binds.append(firsts.map { $0.car.vin })
        // Text arrays cannot carry NULL here: '' stands for "none" and NULLIF turns it back.
        binds.append(firsts.map { Plate.normalise($0.car.plate) })
        binds.append(firsts.map { $0.car.brand ?? "" })
        binds.append(firsts.map { $0.car.series ?? "" })
        binds.append(firsts.map { $0.car.model ?? "" })
        binds.append(firsts.map { $0.car.customer.name })
        binds.append(firsts.map { $0.car.customer.mobile })
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO aftersales.vehicle (id, store_id, vin, plate, brand, series, model, owner_name, owner_mobile, source)
            SELECT id, store_id, vin, NULLIF(plate, ''), NULLIF(brand, ''), NULLIF(series, ''), NULLIF(model, ''),
                owner_name, owner_mobile, 'repair_order'
            FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
                AS car(id, store_id, vin, plate, brand, series, model, owner_name, owner_mobile)
            ORDER BY store_id, vin
            ON CONFLICT (store_id, vin) DO NOTHING
            """, binds: binds), logger: logger)
    }

    private func rows(_ query: PostgresQuery) async throws -> [VehicleView] {
        var vehicles: [VehicleView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await r in rows.decode((
            UUID, UUID, String, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?,
            String, String, String?, String?, String?, String?, String, Date, Date).self)
        {
            vehicles.append(VehicleView(
                id: r.0, storeId: r.1, vin: r.2, plate: r.3, brand: r.4, series: r.5, model: r.6, color: r.7,
                transmission: r.8, engineNo: r.9, purchaseDate: r.10, registrationDate: r.11, insuranceExpiry: r.12,
                owner: Person(name: r.13, mobile: r.14),
                user: Self.person(name: r.15, mobile: r.16), driver: Self.person(name: r.17, mobile: r.18),
                source: r.19, createdAt: r.20, updatedAt: r.21))
        }
        return vehicles
    }

    /// The user or driver, stored as two columns that are both set or both empty.
    private static func person(name: String?, mobile: String?) -> Person? {
        guard let name, let mobile else { return nil }
        return Person(name: name, mobile: mobile)
    }
}

/// What a repair order says about its car: enough to start the car's vehicle file.
struct CarOnRepairOrder: Sendable {
    var vin: String
    var plate: String
    var brand: String?
    var series: String?
    var model: String?
    var customer: Person
}

extension CarOnRepairOrder {
    init(_ order: ERPRepairOrderOpened) {
        self.init(vin: order.vin, plate: order.plate, brand: order.brand, series: order.series, model: order.model, customer: order.customer)
    }

    init(_ order: ERPRepairOrderCompleted) {
        self.init(vin: order.vin, plate: order.plate, brand: order.brand, series: order.series, model: order.model, customer: order.customer)
    }
}
