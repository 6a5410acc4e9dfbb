import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Test drives (试乘试驾, P9) under `/api/v1/prospects/test-drives`: book one for a prospect on a
/// route, photograph the driver's ID card and licence, print the agreement for the customer to
/// sign, start, finish with the distance and the customer's feedback, file the signed
/// agreement; or cancel. A demonstration car is never booked twice for the same time.
struct TestDriveRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prospects/test-drives", use: book)
        group.get("prospects/test-drives", use: list)
        group.get("prospects/test-drives/export", use: export)
        group.get("prospects/test-drives/:id", use: get)
        group.patch("prospects/test-drives/:id", use: update)
        group.post("prospects/test-drives/:id/start", use: start)
        group.post("prospects/test-drives/:id/finish", use: finish)
        group.post("prospects/test-drives/:id/cancel", use: cancel)
        group.put("prospects/test-drives/:id/photos/:kind", use: uploadPhoto)
        group.get("prospects/test-drives/:id/photos/:kind", use: photo)
        group.get("prospects/test-drives/:id/agreement", use: agreement)
    }

    private func store(_ connection: PostgresConnection) -> TestDriveStore {
        TestDriveStore(connection: connection, logger: environment.logger, directory: environment.directory)
    }

    // MARK: booking

    @Sendable func book(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<TestDriveView> {
        let principal = try context.require(.writeProspects)
        let body = try await request.decodeJSON(as: NewTestDrive.self, context: context)
        let drive = try await environment.database.withTransaction { connection in
            let prospects = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            var check = FieldValidator()
            let prospect = try await prospects.prospect(body.prospectId, principal: principal)
            if prospect == nil { check.fail("prospectId", "names no prospect of yours") }
            let kinds = try await environment.directory.dictionary(
                DataDictionaries.testDriveKind, store: prospect?.storeId ?? principal.storeID, on: connection, logger: environment.logger)
            let kind = check.requiredCode("kind", body.kind, in: kinds)
            let details = TestDriveDetails(body, check: &check)
            try check.throwIfInvalid()
            guard let prospect else { throw ProblemDetails.validation([.init(field: "prospectId", message: "names no prospect of yours")]) }
            guard ["active", "ordered"].contains(prospect.state), let consultant = prospect.consultantId else {
                throw ProblemDetails.conflict("only an assigned prospect that is active or ordered books a test drive")
            }
            let route = try await bookableRoute(body.routeId, store: prospect.storeId, on: connection)
            try await requireNotPast(body.bookedFor, store: prospect.storeId, on: connection)
            if let plate = details.vehiclePlate {
                try await store(connection).requireCarFree(plate: plate, store: prospect.storeId, from: body.bookedFor, minutes: route.minutes, except: nil)
            }
            let id = UUID()
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "SJ", store: prospect.storeId, at: environment.configuration.clock.now())
            try await connection.query("""
                INSERT INTO prospects.test_drive (id, store_id, test_drive_no, prospect_id, route_id, consultant_id, kind, brand, series, model,
                    vehicle_plate, vin, driver_name, driver_mobile, id_number, licence_number, driver_address, booked_for, state)
                VALUES (\(id), \(prospect.storeId), \(number), \(prospect.id), \(route.id), \(consultant), \(kind),
                    \(details.brand ?? prospect.brand), \(details.series ?? prospect.series), \(details.model ?? prospect.model),
                    \(details.vehiclePlate), \(details.vin), \(details.driverName ?? prospect.name), \(details.driverMobile ?? prospect.mobile),
                    \(details.idNumber), \(details.licenceNumber), \(details.driverAddress), \(body.bookedFor), 'booked')
                """, logger: environment.logger)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
        return EditedResponse(status: .created, response: drive)
    }

    /// Changes a booked drive (编辑): the driver's details, the car, the route or the time.
    @Sendable func update(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: TestDriveChange.self, context: context)
        return try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            var check = FieldValidator()
            let kind = check.code("kind", body.kind, in: try await environment.directory.dictionary(
                DataDictionaries.testDriveKind, store: drive.storeId, on: connection, logger: environment.logger))
            let details = TestDriveDetails(body, check: &check)
            try check.throwIfInvalid()
            guard drive.state == "booked" else { throw ProblemDetails.conflict("only a booked test drive is changed; this one is \(drive.state)") }
            let routeID = body.routeId ?? drive.routeId
            let route = try await bookableRoute(routeID, store: drive.storeId, on: connection, current: drive.routeId)
            let bookedFor = body.bookedFor ?? drive.bookedFor
            if body.bookedFor != nil { try await requireNotPast(bookedFor, store: drive.storeId, on: connection) }
            let plate = details.vehiclePlate ?? drive.vehiclePlate
            if let plate {
                try await store(connection).requireCarFree(plate: plate, store: drive.storeId, from: bookedFor, minutes: route.minutes, except: id)
            }
            try await connection.query("""
                UPDATE prospects.test_drive
                SET route_id = \(routeID), kind = \(kind ?? drive.kind.rawValue), booked_for = \(bookedFor),
                    brand = \(details.brand ?? drive.brand), series = \(details.series ?? drive.series), model = \(details.model ?? drive.model),
                    vehicle_plate = \(plate), vin = \(details.vin ?? drive.vin), driver_name = \(details.driverName ?? drive.driverName),
                    driver_mobile = \(details.driverMobile ?? drive.driverMobile), id_number = \(details.idNumber ?? drive.idNumber),
                    licence_number = \(details.licenceNumber ?? drive.licenceNumber),
                    driver_address = \(details.driverAddress ?? drive.driverAddress)
                WHERE id = \(id)
                """, logger: environment.logger)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
    }

    /// The route of a booking: the store's, and active — unless it is the drive's `current` route,
    /// which a change may keep even after the route was retired.
    private func bookableRoute(_ id: UUID, store: UUID, on connection: PostgresConnection, current: UUID? = nil) async throws -> TestDriveRouteView {
        let routes = try await TestDriveRouteSettings(environment: environment).routes(of: store, id: id, on: connection)
        guard let route = routes.first, route.active || route.id == current else {
            throw ProblemDetails.validation([.init(field: "routeId", message: "names no active test-drive route of the store")])
        }
        return route
    }

    private func requireNotPast(_ bookedFor: Date, store: UUID, on connection: PostgresConnection) async throws {
        let day = try await environment.storeDay(store, on: connection)
        guard bookedFor >= day.startOfToday else {
            throw ProblemDetails.validation([.init(field: "bookedFor", message: "must not be before today (\(day.today))")])
        }
    }

    // MARK: the drive

    /// Starts a booked drive: the driver's ID number and ID card photo must be on file, and for a
    /// drive (not a ride) the driving licence photo too — the store lets nobody drive unidentified.
    @Sendable func start(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            guard drive.state == "booked" else { throw ProblemDetails.conflict("only a booked test drive starts; this one is \(drive.state)") }
            var missing: [ProblemDetails.FieldError] = []
            if drive.idNumber == nil { missing.append(.init(field: "idNumber", message: "is needed before the drive")) }
            if !drive.photos.contains(.idCard) { missing.append(.init(field: "photos.id_card", message: "the ID card photo is needed before the drive")) }
            if drive.kind == .drive, !drive.photos.contains(.licence) {
                missing.append(.init(field: "photos.licence", message: "the driving licence photo is needed before a drive"))
            }
            guard missing.isEmpty else {
                throw ProblemDetails(status: .conflict, detail: "the driver's documents are not all on file", errors: missing)
            }
            try await connection.query("""
                UPDATE prospects.test_drive SET state = 'started', started_at = \(environment.configuration.clock.now()) WHERE id = \(id)
                """, logger: environment.logger)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
    }

    struct Finish: Decodable {
        /// The route's distance when left out.
        var distanceKm: Decimal?
        var feedback: String
        var rating: Int?
    }

    @Sendable func finish(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: Finish.self, context: context)
        var check = FieldValidator()
        let feedback = check.text("feedback", body.feedback, maxLength: 1000)
        if let distance = body.distanceKm {
            check.require(distance >= 0 && distance <= 1000 && distance.rounded(toPlaces: 1) == distance, "distanceKm", "must be from 0 to 1000, with one decimal at most")
        }
        if let rating = body.rating { check.range("rating", rating, 1...5) }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            guard drive.state == "started" else { throw ProblemDetails.conflict("only a started test drive finishes; this one is \(drive.state)") }
            try await connection.query("""
                UPDATE prospects.test_drive t
                SET state = 'finished', finished_at = \(environment.configuration.clock.now()), feedback = \(feedback), rating = \(body.rating),
                    distance_km = COALESCE(\(body.distanceKm.map(Money.text))::numeric, (SELECT r.distance_km FROM prospects.test_drive_route r WHERE r.id = t.route_id))
                WHERE t.id = \(id)
                """, logger: environment.logger)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
    }

    struct Cancel: Decodable {
        var reason: String
    }

    @Sendable func cancel(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: Cancel.self, context: context)
        var check = FieldValidator()
        let reason = check.text("reason", body.reason, maxLength: 500)
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            guard drive.state == "booked" else { throw ProblemDetails.conflict("only a booked test drive is cancelled; this one is \(drive.state)") }
            try await connection.query("""
                UPDATE prospects.test_drive SET state = 'cancelled', cancel_reason = \(reason), cancelled_at = \(environment.configuration.clock.now())
                WHERE id = \(id)
                """, logger: environment.logger)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
    }

    // MARK: documents

    /// Files a photo of the ID card, the driving licence or the signed agreement (a scan may be a
    /// PDF); a second upload of a kind replaces the first. Filing the agreement marks it signed.
    @Sendable func uploadPhoto(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let kind = try photoKind(context)
        let file = try await UploadedFile(request: request, accepting: kind.accepted)
        return try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            guard drive.state != "cancelled" else { throw ProblemDetails.conflict("the test drive was cancelled") }
            try await store(connection).savePhoto(file, kind: kind, of: id)
            return try await store(connection).testDrive(id, principal: principal.widened(to: .store))!
        }
    }

    @Sendable func photo(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let id = try context.parameters.uuid("id")
        let kind = try photoKind(context)
        let (drive, photo) = try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            return (drive, try await store(connection).photo(kind, of: id))
        }
        guard let photo else { throw ProblemDetails.notFound("\(kind.rawValue) photo of test drive \(drive.testDriveNo)") }
        return Response.file(photo.bytes, contentType: photo.contentType, fileName: "\(drive.testDriveNo)-\(kind.rawValue)")
    }

    private func photoKind(_ context: CRMRequestContext) throws -> TestDrivePhotoKind {
        let text = context.parameters.get("kind") ?? ""
        guard let kind = TestDrivePhotoKind(rawValue: text) else {
            throw ProblemDetails.notFound("photo kind \(text) (id_card, licence or agreement)")
        }
        return kind
    }

    /// The agreement (试乘试驾协议) to print and have the customer sign before the drive.
    @Sendable func agreement(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let id = try context.parameters.uuid("id")
        let (drive, storeName, timeZone, route, kinds) = try await environment.database.withTransaction { connection in
            guard let drive = try await store(connection).testDrive(id, principal: principal) else {
                throw ProblemDetails.notFound("test drive \(id)")
            }
            let store = try await environment.directory.store(drive.storeId, on: connection, logger: environment.logger)
            let route = try await TestDriveRouteSettings(environment: environment).routes(of: drive.storeId, id: drive.routeId, on: connection).first
            let kinds = try await environment.directory.dictionary(
                DataDictionaries.testDriveKind, store: drive.storeId, on: connection, logger: environment.logger)
            return (drive, store?.name ?? "", store?.timeZone ?? Directory.defaultTimeZone, route, kinds)
        }
        let document = TestDriveAgreement(
            drive: drive, kindLabel: kinds.label(drive.kind.rawValue) ?? drive.kind.rawValue, route: route, storeName: storeName, timeZone: timeZone
        ).document()
        return try await Response.pdf(document, fileName: "\(drive.testDriveNo)-agreement")
    }

    // MARK: lists

    struct Filter {
        var prospectID: UUID?
        var consultantID: UUID?
        var routeID: UUID?
        /// Codes of the caller's store's `testDriveState` and `testDriveKind`, disabled ones included.
        var state: String?
        var kind: String?
        var mobile: String?
        var agreementSigned: Bool?
        var from: Date?
        var to: Date?

        static let dictionarySets = [DataDictionaries.testDriveState, DataDictionaries.testDriveKind]

        init(_ request: Request, dictionaries: StoreDictionaries) throws {
            var query = QueryReader(request)
            prospectID = query.uuid("prospectId")
            consultantID = query.uuid("consultantId")
            routeID = query.uuid("routeId")
            mobile = query.mobile("mobile")
            agreementSigned = query.bool("agreementSigned")
            from = query.date("from")
            to = query.date("to")
            let codes = (state: query.code("state"), kind: query.code("kind"))
            var check = query.validator
            state = check.filterCode("state", codes.state, in: dictionaries[DataDictionaries.testDriveState])
            kind = check.filterCode("kind", codes.kind, in: dictionaries[DataDictionaries.testDriveKind])
            try check.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let prospectID { sql.append(" AND t.prospect_id = ", bind: prospectID) }
            if let consultantID { sql.append(" AND t.consultant_id = ", bind: consultantID) }
            if let routeID { sql.append(" AND t.route_id = ", bind: routeID) }
            if let state { sql.append(" AND t.state = ", bind: state) }
            if let kind { sql.append(" AND t.kind = ", bind: kind) }
            if let mobile {
                let placeholder = sql.placeholder(for: mobile)
                sql.append(" AND (p.mobile = \(placeholder) OR t.driver_mobile = \(placeholder))")
            }
            if let agreementSigned { sql.append(" AND t.agreement_signed = ", bind: agreementSigned) }
            if let from { sql.append(" AND t.booked_for >= ", bind: from) }
            if let to { sql.append(" AND t.booked_for < ", bind: to) }
        }
    }

    /// The drives the caller may see that the request's filters match, checked against the caller's store's dictionaries.
    private func read(_ request: Request, principal: Principal, page: PageRequest) async throws -> (items: [TestDriveView], total: Int) {
        try await environment.database.withTransaction { connection in
            let filter = try Filter(request, dictionaries: try await ProspectDictionaries.load(
                Filter.dictionarySets, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
            return try await store(connection).list(filter.apply(to:), principal: principal, page: page)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TestDriveView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await read(request, principal: principal, page: page)
        return Page(items: items, request: page, total: total)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> TestDriveView {
        let principal = try context.require(.readProspects)
        let id = try context.parameters.uuid("id")
        let drive = try await environment.database.withTransaction { connection in
            try await store(connection).testDrive(id, principal: principal)
        }
        guard let drive else { throw ProblemDetails.notFound("test drive \(id)") }
        return drive
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total) = try await read(request, principal: principal, page: ExportLimit.page)
        try ExportLimit.check(total: total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let labels = try await environment.dictionaries([DataDictionaries.testDriveKind, DataDictionaries.testDriveState], stores: items.map(\.storeId))
        let rows: [[ExportCell]] = items.map { t in
            [ExportCell(t.testDriveNo), ExportCell(t.prospectName), ExportCell(t.prospectMobile),
             labels.cell(DataDictionaries.testDriveKind, t.kind.rawValue, store: t.storeId),
             ExportCell(t.routeName), ExportCell([t.brand, t.series, t.model].compactMap { $0 }.joined(separator: " ")),
             ExportCell(t.vehiclePlate), ExportCell(t.driverName), ExportCell(t.bookedFor, in: timeZone), ExportCell(t.startedAt, in: timeZone),
             ExportCell(t.finishedAt, in: timeZone), ExportCell(t.distanceKm),
             labels.cell(DataDictionaries.testDriveState, t.state, store: t.storeId), ExportCell(t.rating),
             ExportCell(t.feedback), ExportCell(t.agreementSigned ? "是" : "否"), ExportCell(t.consultantName)]
        }
        let table = ExportTable(
            sheetName: "试乘试驾",
            headers: ["试驾单号", "客户名称", "联系手机", "类型", "试驾路线", "试驾车型", "车牌号", "试驾人", "预约时间", "开始时间",
                      "结束时间", "距离(公里)", "状态", "评分", "试驾反馈", "协议已签", "销售顾问"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "test-drives")
    }
}
