import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// `aftersales.vehicle.changed.v1`: the vehicle files as they are now, read from the rows in the
/// transaction of the write that changed them (DESIGN.md, "Messaging"), so that no write path
/// builds a payload of its own.
///
/// Whoever creates or changes a file or its owner, or opens or completes a repair order of a
/// car, calls `announceChanges` once after its last change: staff's files (`VehicleRoutes`),
/// repair orders by an SA (`RepairOrderRoutes`) and from the ERP (`RepairOrderEvents`), renewed
/// insurance (`RenewalEvents`, `RenewalRoutes`). A second call only repeats the same state,
/// which readers take as a no-op; a forgotten one leaves their copies stale.
extension VehicleStore {
    static let eventSource = "/crm/aftersales"

    /// Announces the files with these ids.
    func announceChanges(of vehicles: [UUID], to outbox: Outbox) async throws {
        let ids = Array(Set(vehicles))
        guard !ids.isEmpty else { return }
        var sql = QueryBuilder(" FROM aftersales.vehicle v WHERE v.id = ANY(")
        sql.append("", bind: ids)
        sql.append(")")
        try await announce(sql, to: outbox)
    }

    /// Announces the store's files of these cars (by VIN), whichever of them have one: the cars
    /// of repair orders, whose files are found by store and VIN as their repair history is.
    func announceChanges(ofCars cars: [(store: UUID, vin: String)], to outbox: Outbox) async throws {
        var seen = Set<String>()
        let unique = cars.filter { !$0.vin.isEmpty && seen.insert("\($0.store)/\($0.vin)").inserted }
        guard !unique.isEmpty else { return }
        var sql = QueryBuilder(" FROM aftersales.vehicle v JOIN unnest(")
        sql.append("", bind: unique.map(\.store))
        sql.append("::uuid[], ", bind: unique.map(\.vin))
        sql.append("::text[]) AS car(store_id, vin) ON v.store_id = car.store_id AND v.vin = car.vin WHERE true")
        try await announce(sql, to: outbox)
    }

    /// Reads the files `from` selects (a ` FROM aftersales.vehicle v …` clause) and puts an event
    /// for each in the outbox.
    ///
    /// `lastRepairOn` is the day on the store's clock (its time zone from the directory, else
    /// the default one) of the latest repair order opened for the car's VIN in its store, as
    /// the car's repair history counts them. `changedAt` is the database's clock at the
    /// announcement (`clock_timestamp()`).
    ///
    /// A repair order changes `lastRepairOn` without locking the file, so two transactions that
    /// record orders of one car at the same moment each read it without the other's uncommitted
    /// order, and the announcement a reader keeps (the later `changedAt`) may lack the other's
    /// until the car's next change (that order's completion, typically) announces it again. Locking the car here
    /// would close that gap but could deadlock a consumer batch that handles openings and then
    /// completions (locks taken by the second handler after this one's), and a batch that keeps
    /// failing is dead-lettered: a repair order lost is worse than a day late in a read model.
    private func announce(_ from: QueryBuilder, to outbox: Outbox) async throws {
        var sql = from
        let defaultTimeZone = sql.placeholder(for: Directory.defaultTimeZone.identifier)
        let query = sql.build(prefix: """
            SELECT v.id, v.store_id, v.vin, v.plate, v.brand, v.series, v.model,
                   to_char(v.purchase_date, 'YYYY-MM-DD'), to_char(v.registration_date, 'YYYY-MM-DD'),
                   to_char(v.insurance_expiry, 'YYYY-MM-DD'),
                   v.owner_name, v.owner_mobile, v.owner_gender, v.owner_province, v.owner_city,
                   (SELECT to_char(max(r.opened_at) AT TIME ZONE COALESCE(
                               (SELECT s.time_zone FROM aftersales.directory_store s WHERE s.id = v.store_id), \(defaultTimeZone)::text),
                           'YYYY-MM-DD')
                    FROM aftersales.repair_order r WHERE r.store_id = v.store_id AND r.vin = v.vin),
                   clock_timestamp()
            """)
        var events: [CloudEvent<VehicleChanged>] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), store = try cells.next(UUID.self), vin = try cells.next(String.self)
            let plate = try cells.next(String?.self), brand = try cells.next(String?.self), series = try cells.next(String?.self)
            let model = try cells.next(String?.self), purchaseDate = try cells.next(String?.self)
            let registrationDate = try cells.next(String?.self), insuranceExpiry = try cells.next(String?.self)
            let owner = VehicleOwner(
                name: try cells.next(String.self), mobile: try cells.next(String.self), gender: try cells.next(String?.self),
                province: try cells.next(String?.self), city: try cells.next(String?.self))
            let lastRepairOn = try cells.next(String?.self), changedAt = try cells.next(Date.self)
            let vehicle = VehicleChanged(
                vehicleId: id, storeId: store, vin: vin, plate: plate, brand: brand, series: series, model: model,
                purchaseDate: purchaseDate, registrationDate: registrationDate, insuranceExpiry: insuranceExpiry, owner: owner,
                lastRepairOn: lastRepairOn, changedAt: changedAt)
            events.append(CloudEvent(
                source: Self.eventSource, subject: id.uuidString.lowercased(), data: vehicle, storeid: store.uuidString.lowercased()))
        }
        try await outbox.append(events, on: connection, logger: logger)
    }
}
