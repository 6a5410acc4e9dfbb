import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Test drives, their photos and the demonstration cars' bookings in the `prospects` schema.
struct TestDriveStore {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    static let columns = """
        SELECT t.id, t.test_drive_no, t.store_id, t.prospect_id, p.name, p.mobile, t.route_id, r.name, t.consultant_id, u.display_name,
               t.kind, t.brand, t.series, t.model, t.vehicle_plate, t.vin, t.driver_name, t.driver_mobile, t.id_number, t.licence_number,
               t.driver_address, t.booked_for, t.state, t.started_at, t.finished_at, t.distance_km::text, t.feedback, t.rating,
               t.cancel_reason, ARRAY(SELECT ph.kind FROM prospects.test_drive_photo ph WHERE ph.test_drive_id = t.id ORDER BY ph.kind),
               t.agreement_signed, t.created_at
        """

    static func from() -> QueryBuilder {
        QueryBuilder("""
             FROM prospects.test_drive t JOIN prospects.prospect p ON p.id = t.prospect_id
             JOIN prospects.test_drive_route r ON r.id = t.route_id
             LEFT JOIN prospects.directory_user u ON u.id = t.consultant_id WHERE true
            """)
    }

    /// Drives the caller may see, by consultant: a consultant's own, a leader's team's, a manager's store's.
    func list(_ filter: (inout QueryBuilder) -> Void, principal: Principal, page: PageRequest) async throws -> (items: [TestDriveView], total: Int) {
        var sql = Self.from()
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: directory.schema)
        filter(&sql)
        let total = try await sql.count(on: connection, logger: logger)
        return (try await rows(sql.ordered(by: "t.booked_for DESC, t.id", page).build(prefix: Self.columns)), total)
    }

    /// The drive if the caller may see it; `forUpdate` locks it.
    func testDrive(_ id: UUID, principal: Principal, forUpdate: Bool = false) async throws -> TestDriveView? {
        var sql = Self.from()
        sql.append(" AND t.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: directory.schema)
        if forUpdate { sql.append(" FOR UPDATE OF t") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    private func rows(_ query: PostgresQuery) async throws -> [TestDriveView] {
        var drives: [TestDriveView] = []
        for try await r in try await connection.query(query, logger: logger).decode((
            UUID, String, UUID, UUID, String, String, UUID, String, UUID, String?,
            String, String?, String?, String?, String?, String?, String, String, String?, String?,
            String?, Date, String, Date?, Date?, String?, String?, Int?,
            String?, [String], Bool, Date).self)
        {
            drives.append(TestDriveView(
                id: r.0, testDriveNo: r.1, storeId: r.2, prospectId: r.3, prospectName: r.4, prospectMobile: r.5, routeId: r.6,
                routeName: r.7, consultantId: r.8, consultantName: r.9, kind: TestDriveKind(rawValue: r.10) ?? .drive,
                brand: r.11, series: r.12, model: r.13, vehiclePlate: r.14, vin: r.15, driverName: r.16, driverMobile: r.17,
                idNumber: r.18, licenceNumber: r.19, driverAddress: r.20, bookedFor: r.21, state: r.22, startedAt: r.23,
                finishedAt: r.24, distanceKm: Money.amount(r.25), feedback: r.26, rating: r.27, cancelReason: r.28,
                photos: r.29.compactMap(TestDrivePhotoKind.init(rawValue:)), agreementSigned: r.30, createdAt: r.31))
        }
        return drives
    }

    /// Refuses (409) a booking of the car `plate` that overlaps another booked or started drive
    /// of it. Holds a transaction lock on the car until commit, so two bookings of one car at
    /// once take turns and the second sees the first.
    func requireCarFree(plate: String, store: UUID, from start: Date, minutes: Int, except drive: UUID?) async throws {
        try await connection.query("""
            SELECT pg_advisory_xact_lock(hashtext('prospects.test_drive_car'), hashtext(\(store.uuidString + plate)))
            """, logger: logger)
        let end = start.addingTimeInterval(TimeInterval(minutes * 60))
        let clashes = try await connection.query("""
            SELECT t.test_drive_no, t.booked_for, r.minutes
            FROM prospects.test_drive t JOIN prospects.test_drive_route r ON r.id = t.route_id
            WHERE t.store_id = \(store) AND t.vehicle_plate = \(plate) AND t.state IN ('booked', 'started')
              AND t.id IS DISTINCT FROM \(drive)
              AND t.booked_for < \(end) AND t.booked_for + r.minutes * interval '1 minute' > \(start)
            ORDER BY t.booked_for LIMIT 1
            """, logger: logger).decode((String, Date, Int).self).all()
        if let clash = clashes.first {
            let timeZone = try await directory.timeZone(of: store, on: connection, logger: logger)
            throw ProblemDetails(
                status: .conflict,
                detail: "the car \(plate) is booked for \(clash.0) at \(LocalDateTime(clash.1, in: timeZone).timeText) for \(clash.2) minutes",
                errors: [.init(field: "bookedFor", message: "overlaps \(clash.0)")])
        }
    }

    // MARK: photos

    func savePhoto(_ file: UploadedFile, kind: TestDrivePhotoKind, of drive: UUID) async throws {
        try await connection.query("""
            INSERT INTO prospects.test_drive_photo (test_drive_id, kind, content_type, content, uploaded_at)
            VALUES (\(drive), \(kind.rawValue), \(file.type.contentType), \(file.bytes), now())
            ON CONFLICT (test_drive_id, kind) DO UPDATE
            SET content_type = EXCLUDED.content_type, content = EXCLUDED.content, uploaded_at = EXCLUDED.uploaded_at
            """, logger: logger)
        if kind == .agreement {
            try await connection.query("UPDATE prospects.test_drive SET agreement_signed = true WHERE id = \(drive)", logger: logger)
        }
    }

    func photo(_ kind: TestDrivePhotoKind, of drive: UUID) async throws -> (contentType: String, bytes: ByteBuffer)? {
        try await connection.query("""
            SELECT content_type, content FROM prospects.test_drive_photo WHERE test_drive_id = \(drive) AND kind = \(kind.rawValue)
            """, logger: logger).decode((String, ByteBuffer).self).all().first.map { ($0.0, $0.1) }
    }
}
