import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Vehicle files in `aftersales.vehicle`, always within one store. Files are read with what
/// the car's visits say (`VehicleClassQueries`), on the store's calendar the caller passes.
struct VehicleStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The file's own columns, in `rows`' order; each person as name, mobile, gender, birth
    /// date, province, city, source, licence expiry.
    private static let fileColumns = """
        v.id, v.store_id, v.vin, v.plate, v.brand, v.series, v.model, v.color, v.transmission, v.engine_no,
        to_char(v.purchase_date, 'YYYY-MM-DD'), to_char(v.registration_date, 'YYYY-MM-DD'),
        to_char(v.insurance_expiry, 'YYYY-MM-DD'), to_char(v.warranty_end_date, 'YYYY-MM-DD'), v.warranty_end_km,
        v.service_advisor,
        v.owner_name, v.owner_mobile, v.owner_gender, to_char(v.owner_birth_date, 'YYYY-MM-DD'), v.owner_province,
        v.owner_city, v.owner_source, to_char(v.owner_licence_expiry, 'YYYY-MM-DD'),
        v.user_name, v.user_mobile, v.user_gender, to_char(v.user_birth_date, 'YYYY-MM-DD'), v.user_province,
        v.user_city, v.user_source, to_char(v.user_licence_expiry, 'YYYY-MM-DD'),
        v.driver_name, v.driver_mobile, v.driver_gender, to_char(v.driver_birth_date, 'YYYY-MM-DD'), v.driver_province,
        v.driver_city, v.driver_source, to_char(v.driver_licence_expiry, 'YYYY-MM-DD'),
        v.source, v.created_at, v.updated_at
        """

    private static let columns = "SELECT " + fileColumns + ", " + VehicleClassQueries.columns

    /// One page of the store's files matching `filter`, newest first.
    func list(_ filter: VehicleFilter, store: UUID, calendar: CustomerClassCalendar, page: PageRequest) async throws -> Page<VehicleView> {
        var sql = VehicleClassQueries.from(calendar)
        sql.append("v.store_id = ", bind: store)
        filter.apply(to: &sql)
        return try await list(sql, page: page)
    }

    /// The files a `FROM … WHERE …` of `VehicleClassQueries.from` selects (a campaign's
    /// targets), newest first, and how many there are.
    func list(_ sql: QueryBuilder, page: PageRequest) async throws -> Page<VehicleView> {
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "v.created_at DESC, v.id", page)
        return Page(items: try await rows(select.build(prefix: Self.columns)), request: page, total: total)
    }

    /// The file if it belongs to `store`.
    func vehicle(_ id: UUID, store: UUID, calendar: CustomerClassCalendar) async throws -> VehicleView? {
        var sql = VehicleClassQueries.from(calendar)
        sql.append("v.id = ", bind: id)
        sql.append(" AND v.store_id = ", bind: store)
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    /// What the file says, if it belongs to `store`; `forUpdate` locks it for the rest of the
    /// transaction (a change reads, checks and writes it in one go).
    func fields(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> VehicleFields? {
        let rows = try await connection.query("""
            SELECT \(unescaped: Self.fileColumns) FROM aftersales.vehicle v WHERE v.id = \(id) AND v.store_id = \(store)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await row in rows {
            var cells = RowCells(row)
            return try Self.file(&cells).fields
        }
        return nil
    }

    /// The store's file of the car with this VIN, if it has one: its id and what it says.
    func fields(vin: String, store: UUID) async throws -> (id: UUID, fields: VehicleFields)? {
        let rows = try await connection.query("""
            SELECT \(unescaped: Self.fileColumns) FROM aftersales.vehicle v WHERE v.vin = \(vin) AND v.store_id = \(store)
            """, logger: logger)
        for try await row in rows {
            var cells = RowCells(row)
            let file = try Self.file(&cells)
            return (file.id, file.fields)
        }
        return nil
    }

    /// Creates a file entered by staff; false if the store has a file with this VIN already.
    func create(id: UUID, store: UUID, fields: VehicleFields) async throws -> Bool {
        let (owner, user, driver) = (fields.owner, fields.user, fields.driver)
        let rows = try await connection.query("""
            INSERT INTO aftersales.vehicle (
                id, store_id, vin, plate, brand, series, model, color, transmission, engine_no,
                purchase_date, registration_date, insurance_expiry, warranty_end_date, warranty_end_km, service_advisor,
                owner_name, owner_mobile, owner_gender, owner_birth_date, owner_province, owner_city, owner_source, owner_licence_expiry,
                user_name, user_mobile, user_gender, user_birth_date, user_province, user_city, user_source, user_licence_expiry,
                driver_name, driver_mobile, driver_gender, driver_birth_date, driver_province, driver_city, driver_source,
                driver_licence_expiry, source)
            VALUES (
                \(id), \(store), \(fields.vin), \(fields.plate), \(fields.brand), \(fields.series), \(fields.model),
                \(fields.color), \(fields.transmission), \(fields.engineNo), \(fields.purchaseDate)::date,
                \(fields.registrationDate)::date, \(fields.insuranceExpiry)::date, \(fields.warrantyEndDate)::date,
                \(fields.warrantyEndKm), \(fields.serviceAdvisor),
                \(owner.name), \(owner.mobile), \(owner.gender), \(owner.birthDate)::date, \(owner.province), \(owner.city),
                \(owner.source), \(owner.licenceExpiry)::date,
                \(user?.name), \(user?.mobile), \(user?.gender), \(user?.birthDate)::date, \(user?.province), \(user?.city),
                \(user?.source), \(user?.licenceExpiry)::date,
                \(driver?.name), \(driver?.mobile), \(driver?.gender), \(driver?.birthDate)::date, \(driver?.province),
                \(driver?.city), \(driver?.source), \(driver?.licenceExpiry)::date, 'crm')
            ON CONFLICT (store_id, vin) DO NOTHING
            RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    /// Replaces every field of the file; false if another file of its store has the new VIN.
    func update(_ id: UUID, store: UUID, fields: VehicleFields) async throws -> Bool {
        let (owner, user, driver) = (fields.owner, fields.user, fields.driver)
        do {
            try await connection.query("""
                UPDATE aftersales.vehicle SET
                    vin = \(fields.vin), plate = \(fields.plate), brand = \(fields.brand), series = \(fields.series),
                    model = \(fields.model), color = \(fields.color), transmission = \(fields.transmission),
                    engine_no = \(fields.engineNo), purchase_date = \(fields.purchaseDate)::date,
                    registration_date = \(fields.registrationDate)::date, insurance_expiry = \(fields.insuranceExpiry)::date,
                    warranty_end_date = \(fields.warrantyEndDate)::date, warranty_end_km = \(fields.warrantyEndKm),
                    service_advisor = \(fields.serviceAdvisor),
                    owner_name = \(owner.name), owner_mobile = \(owner.mobile), owner_gender = \(owner.gender),
                    owner_birth_date = \(owner.birthDate)::date, owner_province = \(owner.province), owner_city = \(owner.city),
                    owner_source = \(owner.source), owner_licence_expiry = \(owner.licenceExpiry)::date,
                    user_name = \(user?.name), user_mobile = \(user?.mobile), user_gender = \(user?.gender),
                    user_birth_date = \(user?.birthDate)::date, user_province = \(user?.province), user_city = \(user?.city),
                    user_source = \(user?.source), user_licence_expiry = \(user?.licenceExpiry)::date,
                    driver_name = \(driver?.name), driver_mobile = \(driver?.mobile), driver_gender = \(driver?.gender),
                    driver_birth_date = \(driver?.birthDate)::date, driver_province = \(driver?.province),
                    driver_city = \(driver?.city), driver_source = \(driver?.source),
                    driver_licence_expiry = \(driver?.licenceExpiry)::date,
                    updated_at = now()
                WHERE id = \(id) AND store_id = \(store)
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
        // Time-ordered ids: PostgreSQL adds them at the right edge of the primary key's index,
        // not all over it (rows come by the hundred from a consumer batch).
        var ids = TimeOrderedUUIDs()
        binds.append(firsts.map { _ in ids.next() })
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

    // MARK: reading rows

    /// Files with the visits' columns (`columns`).
    private func rows(_ query: PostgresQuery) async throws -> [VehicleView] {
        var vehicles: [VehicleView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            var vehicle = try Self.file(&cells)
            vehicle.visitsLastYear = try cells.next(Int.self)
            vehicle.lastVisitAt = try cells.next(Date?.self)
            let code = try cells.next(String.self)
            guard let customerClass = CustomerClass(rawValue: code) else { throw RowCells.Unexpected(column: "customer_class \(code)") }
            vehicle.customerClass = customerClass
            vehicle.currentServiceAdvisor = try cells.next(String?.self)
            vehicle.lastMileageKm = try cells.next(Int?.self)
            vehicles.append(vehicle)
        }
        return vehicles
    }

    /// The file's own columns (`fileColumns`); the visits' fields as for a car without any.
    private static func file(_ cells: inout RowCells) throws -> VehicleView {
        let id = try cells.next(UUID.self), storeID = try cells.next(UUID.self), vin = try cells.next(String.self)
        let plate = try cells.next(String?.self), brand = try cells.next(String?.self), series = try cells.next(String?.self)
        let model = try cells.next(String?.self), color = try cells.next(String?.self)
        let transmission = try cells.next(String?.self), engineNo = try cells.next(String?.self)
        let purchaseDate = try cells.next(String?.self), registrationDate = try cells.next(String?.self)
        let insuranceExpiry = try cells.next(String?.self), warrantyEndDate = try cells.next(String?.self)
        let warrantyEndKm = try cells.next(Int?.self), serviceAdvisor = try cells.next(String?.self)
        guard let owner = try person(&cells) else { throw RowCells.Unexpected(column: "owner_name") }
        let user = try person(&cells), driver = try person(&cells)
        let source = try cells.next(String.self), createdAt = try cells.next(Date.self), updatedAt = try cells.next(Date.self)
        return VehicleView(
            id: id, storeId: storeID, vin: vin, plate: plate, brand: brand, series: series, model: model, color: color,
            transmission: transmission, engineNo: engineNo, purchaseDate: purchaseDate, registrationDate: registrationDate,
            insuranceExpiry: insuranceExpiry, warrantyEndDate: warrantyEndDate, warrantyEndKm: warrantyEndKm,
            serviceAdvisor: serviceAdvisor, owner: owner, user: user, driver: driver, source: source,
            currentServiceAdvisor: serviceAdvisor, lastMileageKm: nil, customerClass: .potential, lastVisitAt: nil,
            visitsLastYear: 0, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// A person's eight columns; nil for a user or driver the file has not (no name and mobile).
    private static func person(_ cells: inout RowCells) throws -> VehiclePerson? {
        let name = try cells.next(String?.self), mobile = try cells.next(String?.self)
        let gender = try cells.next(String?.self), birthDate = try cells.next(String?.self)
        let province = try cells.next(String?.self), city = try cells.next(String?.self)
        let source = try cells.next(String?.self), licenceExpiry = try cells.next(String?.self)
        guard let name, let mobile else { return nil }
        return VehiclePerson(
            name: name, mobile: mobile, gender: gender, birthDate: birthDate, province: province, city: city,
            source: source, licenceExpiry: licenceExpiry)
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
