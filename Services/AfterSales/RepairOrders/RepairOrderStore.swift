import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Writing repair orders in the `aftersales` schema: as the ERP's events say, or as an SA
/// opens and completes them in the CRM. One store and RO number is always one order.
///
/// An order completes once. Both ways of completing it decide under the order's row lock: an
/// SA's completion ends in an `UPDATE … WHERE state = 'open'`, the ERP's completions lock the
/// orders (`FOR UPDATE`) before reading their states. Of two transactions completing the same
/// order at once, the second waits for the first's lock, then finds the order no longer open
/// and completes nothing — so only the first completion is announced.
///
/// The ERP's events come a consumer batch at a time (RepairOrderEvents), and are recorded with
/// a fixed few statements per batch whatever its size, keeping the result of recording them
/// one at a time.
struct RepairOrderStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Records the ERP's openings of a consumer batch, in the order they arrived, with one
    /// statement: each order not known yet is inserted as open (source `erp`); an order already
    /// known — from the ERP or an SA — keeps its id, source and state and takes the ERP's latest
    /// data (an amount only if the ERP sent one). The result is what recording the openings
    /// one at a time gives.
    ///
    /// One INSERT … ON CONFLICT DO UPDATE cannot touch the same row twice, so the openings of
    /// one order are first merged into one row: the last one's data, and the last amount sent.
    /// The rows go in in key order, so that two batches lock the orders they share in the same
    /// order and cannot deadlock over them.
    func recordOpened(_ orders: [ERPRepairOrderOpened]) async throws {
        var merged: [OrderKey: ERPRepairOrderOpened] = [:]
        var keys: [OrderKey] = []
        for order in orders {
            let key = OrderKey(order)
            if let earlier = merged[key] {
                var latest = order
                latest.amount = order.amount ?? earlier.amount
                merged[key] = latest
            } else {
                merged[key] = order
                keys.append(key)
            }
        }
        let rows = keys.map { merged[$0]! }
        guard !rows.isEmpty else { return }
        var binds = PostgresBindings(capacity: 18)
        // Time-ordered ids: PostgreSQL adds them at the right edge of the primary key's index,
        // not all over it (rows come by the hundred from a consumer batch).
        var ids = TimeOrderedUUIDs()
        binds.append(rows.map { _ in ids.next() })
        binds.append(keys.map(\.store))
        binds.append(rows.map(\.storeCode))
        binds.append(rows.map(\.roNo))
        binds.append(rows.map(\.vin))
        binds.append(rows.map(\.plate))
        binds.append(rows.map(\.customer.name))
        binds.append(rows.map(\.customer.mobile))
        binds.append(rows.map(\.sender.name))
        binds.append(rows.map(\.sender.mobile))
        binds.append(rows.map(\.businessType.rawValue))
        binds.append(rows.map(\.serviceAdvisor))
        binds.append(rows.map(\.mileageKm))
        // Text arrays cannot carry NULL here: '' stands for "none" and NULLIF turns it back
        // (an amount is never '', and an empty brand, series or model is none).
        binds.append(rows.map { $0.amount.map(Money.text) ?? "" })
        binds.append(rows.map { $0.brand ?? "" })
        binds.append(rows.map { $0.series ?? "" })
        binds.append(rows.map { $0.model ?? "" })
        binds.append(rows.map(\.openedAt))
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount, brand, series, model, state, opened_at, source)
            SELECT id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, NULLIF(amount, '')::numeric,
                NULLIF(brand, ''), NULLIF(series, ''), NULLIF(model, ''), 'open', opened_at, 'erp'
            FROM unnest(
                $1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::text[], $13::int8[], $14::text[], $15::text[], $16::text[], $17::text[],
                $18::timestamptz[])
                AS opened(id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                          business_type, service_advisor, mileage_km, amount, brand, series, model, opened_at)
            ORDER BY store_id, ro_no
            ON CONFLICT (store_id, ro_no) DO UPDATE SET
                vin = EXCLUDED.vin, plate = EXCLUDED.plate,
                customer_name = EXCLUDED.customer_name, customer_mobile = EXCLUDED.customer_mobile,
                sender_name = EXCLUDED.sender_name, sender_mobile = EXCLUDED.sender_mobile,
                business_type = EXCLUDED.business_type, service_advisor = EXCLUDED.service_advisor,
                mileage_km = EXCLUDED.mileage_km, amount = COALESCE(EXCLUDED.amount, repair_order.amount),
                brand = EXCLUDED.brand, series = EXCLUDED.series, model = EXCLUDED.model,
                opened_at = EXCLUDED.opened_at, updated_at = now()
            """, binds: binds), logger: logger)
    }

    /// Records the ERP's completions of a consumer batch, in the order they arrived, and
    /// returns what to announce: for each order this batch completed, the index in `orders` of
    /// its first completion and the announcement's data, in that order. An order is returned
    /// once however many completions of it the batch holds, and not at all if it was completed
    /// before (by an earlier event or an SA).
    ///
    /// The result is what recording the completions one at a time gives: the ERP may complete
    /// an order it never announced as opened; its latest data wins (the settled amount too, and
    /// the opening time), exactly as for an opening; and an order still open is completed at
    /// its first completion's time. Each order is written once:
    ///
    /// 1. the orders the batch names are locked in key order and their states read
    ///    (`SELECT … FOR UPDATE`, which waits for a transaction completing one of them at the
    ///    same moment and then reads what it left);
    /// 2. the orders not there yet are inserted as completed (`ON CONFLICT DO NOTHING`: one
    ///    another transaction inserted in the meantime is skipped, then locked and read on the
    ///    next round, as an order that was there);
    /// 3. the orders that were there take the latest data, and those that were open are
    ///    completed, with one `UPDATE`.
    ///
    /// So of two transactions completing the same order, whether from two ERP events or an
    /// ERP event and an SA, only the first announces it.
    func recordCompleted(_ orders: [ERPRepairOrderCompleted]) async throws -> [(index: Int, completion: RepairOrderCompleted)] {
        // One row per order, since a statement cannot change a row twice: the latest
        // completion's data, the first one's time.
        var rows: [OrderKey: CompletedRow] = [:]
        var keys: [OrderKey] = []
        for (index, order) in orders.enumerated() {
            let key = OrderKey(store: StoreID.forStoreCode(order.storeCode), roNo: order.roNo)
            if rows[key] != nil {
                rows[key]!.latest = order
            } else {
                rows[key] = CompletedRow(key: key, first: index, completedAt: order.completedAt, latest: order)
                keys.append(key)
            }
        }
        var completed: [(key: OrderKey, id: UUID, completedAt: Date)] = []
        var pending = keys
        while !pending.isEmpty {
            let states = try await lockStates(of: pending)
            let absent = pending.filter { states[$0] == nil }
            let inserted = try await insertCompleted(absent.map { rows[$0]! })
            let updated = try await updateCompleted(pending.filter { states[$0] != nil }.map { rows[$0]! })
            completed += inserted + updated.filter { states[$0.key] == "open" }
            let insertedKeys = Set(inserted.map(\.key))
            pending = absent.filter { !insertedKeys.contains($0) }
        }
        return completed.map { key, id, completedAt in
            let index = rows[key]!.first
            let order = orders[index]
            return (index, RepairOrderCompleted(
                repairOrderId: id, storeId: key.store, storeCode: order.storeCode, roNo: order.roNo,
                vin: order.vin, plate: order.plate, customer: order.customer, sender: order.sender,
                businessType: order.businessType, serviceAdvisor: order.serviceAdvisor, mileageKm: order.mileageKm,
                amount: order.amount, completedAt: completedAt, brand: order.brand, series: order.series, model: order.model))
        }.sorted { $0.index < $1.index }
    }

    /// One order's completions in a batch.
    private struct CompletedRow {
        var key: OrderKey
        /// The first completion: its index in the batch and its time.
        var first: Int
        var completedAt: Date
        /// The last completion, whose data the order keeps.
        var latest: ERPRepairOrderCompleted
    }

    /// Locks the orders that exist, in key order, and returns their states.
    private func lockStates(of keys: [OrderKey]) async throws -> [OrderKey: String] {
        var binds = PostgresBindings(capacity: 2)
        binds.append(keys.map(\.store))
        binds.append(keys.map(\.roNo))
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT r.store_id, r.ro_no, r.state
            FROM aftersales.repair_order r
            JOIN unnest($1::uuid[], $2::text[]) AS wanted(store_id, ro_no) ON r.store_id = wanted.store_id AND r.ro_no = wanted.ro_no
            ORDER BY r.store_id, r.ro_no
            FOR UPDATE OF r
            """, binds: binds), logger: logger)
        var states: [OrderKey: String] = [:]
        for try await (store, roNo, state) in rows.decode((UUID, String, String).self) {
            states[OrderKey(store: store, roNo: roNo)] = state
        }
        return states
    }

    /// The bindings of completed orders' data, in the order of `completedRowColumns`.
    private func completedRowBindings(_ rows: [CompletedRow]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 18)
        binds.append(rows.map(\.key.store))
        binds.append(rows.map(\.latest.storeCode))
        binds.append(rows.map(\.key.roNo))
        binds.append(rows.map(\.latest.vin))
        binds.append(rows.map(\.latest.plate))
        binds.append(rows.map(\.latest.customer.name))
        binds.append(rows.map(\.latest.customer.mobile))
        binds.append(rows.map(\.latest.sender.name))
        binds.append(rows.map(\.latest.sender.mobile))
        binds.append(rows.map(\.latest.businessType.rawValue))
        binds.append(rows.map(\.latest.serviceAdvisor))
        binds.append(rows.map(\.latest.mileageKm))
        binds.append(rows.map { Money.text($0.latest.amount) })
        // Text arrays cannot carry NULL here: '' stands for "none" and NULLIF turns it back.
        binds.append(rows.map { $0.latest.brand ?? "" })
        binds.append(rows.map { $0.latest.series ?? "" })
        binds.append(rows.map { $0.latest.model ?? "" })
        binds.append(rows.map(\.latest.openedAt))
        binds.append(rows.map(\.completedAt))
        return binds
    }

    private static let completedRowColumns = """
        unnest(
            $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::text[], $11::text[], $12::int8[], $13::text[], $14::text[], $15::text[], $16::text[],
            $17::timestamptz[], $18::timestamptz[])
            AS c(store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                 business_type, service_advisor, mileage_km, amount, brand, series, model, opened_at, completed_at)
        """

    /// Inserts orders the ERP completed without the CRM having them; returns those inserted
    /// (not those another transaction inserted first).
    private func insertCompleted(_ rows: [CompletedRow]) async throws -> [(key: OrderKey, id: UUID, completedAt: Date)] {
        guard !rows.isEmpty else { return [] }
        let result = try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount, brand, series, model, state, opened_at, completed_at, source)
            SELECT gen_random_uuid(), store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount::numeric, NULLIF(brand, ''), NULLIF(series, ''), NULLIF(model, ''),
                'completed', opened_at, completed_at, 'erp'
            FROM \(Self.completedRowColumns)
            ORDER BY store_id, ro_no
            ON CONFLICT (store_id, ro_no) DO NOTHING
            RETURNING id, store_id, ro_no, completed_at
            """, binds: completedRowBindings(rows)), logger: logger)
        return try await written(result)
    }

    /// Gives orders that were there (and are locked) the ERP's latest data, and completes those
    /// still open; returns every one of them.
    private func updateCompleted(_ rows: [CompletedRow]) async throws -> [(key: OrderKey, id: UUID, completedAt: Date)] {
        guard !rows.isEmpty else { return [] }
        let result = try await connection.query(PostgresQuery(unsafeSQL: """
            UPDATE aftersales.repair_order r SET
                vin = c.vin, plate = c.plate, customer_name = c.customer_name, customer_mobile = c.customer_mobile,
                sender_name = c.sender_name, sender_mobile = c.sender_mobile, business_type = c.business_type,
                service_advisor = c.service_advisor, mileage_km = c.mileage_km, amount = c.amount::numeric,
                brand = NULLIF(c.brand, ''), series = NULLIF(c.series, ''), model = NULLIF(c.model, ''), opened_at = c.opened_at,
                state = 'completed', completed_at = CASE WHEN r.state = 'open' THEN c.completed_at ELSE r.completed_at END,
                updated_at = now()
            FROM \(Self.completedRowColumns)
            WHERE r.store_id = c.store_id AND r.ro_no = c.ro_no
            RETURNING r.id, r.store_id, r.ro_no, r.completed_at
            """, binds: completedRowBindings(rows)), logger: logger)
        return try await written(result)
    }

    private func written(_ rows: PostgresRowSequence) async throws -> [(key: OrderKey, id: UUID, completedAt: Date)] {
        var written: [(key: OrderKey, id: UUID, completedAt: Date)] = []
        for try await (id, store, roNo, completedAt) in rows.decode((UUID, UUID, String, Date).self) {
            written.append((OrderKey(store: store, roNo: roNo), id, completedAt))
        }
        return written
    }

    /// One order: its store and RO number, the table's unique key.
    private struct OrderKey: Hashable {
        var store: UUID
        var roNo: String

        init(store: UUID, roNo: String) {
            self.store = store
            self.roNo = roNo
        }

        init(_ order: ERPRepairOrderOpened) {
            self.init(store: StoreID.forStoreCode(order.storeCode), roNo: order.roNo)
        }
    }

    /// The cars (store and VIN) the store's orders with these RO numbers are on now, for the
    /// orders it has: read before the ERP's latest data is recorded, since that may move an
    /// order to another VIN (a typo corrected), which changes the former car's last repair too.
    func cars(ofOrders orders: [(store: UUID, roNo: String)]) async throws -> [(store: UUID, vin: String)] {
        guard !orders.isEmpty else { return [] }
        var binds = PostgresBindings(capacity: 2)
        binds.append(orders.map(\.store))
        binds.append(orders.map(\.roNo))
        return try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT r.store_id, r.vin
            FROM aftersales.repair_order r
            JOIN unnest($1::uuid[], $2::text[]) AS wanted(store_id, ro_no) ON r.store_id = wanted.store_id AND r.ro_no = wanted.ro_no
            """, binds: binds), logger: logger).decode((UUID, String).self).all().map { (store: $0.0, vin: $0.1) }
    }

    /// Opens an order an SA entered, numbered `roNo`; false if the store has an order with
    /// that number already (from the ERP or an earlier opening).
    func open(id: UUID, store: UUID, storeCode: String, roNo: String, order: RepairOrderOpening) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, brand, series, model, state, opened_at, source)
            VALUES (
                \(id), \(store), \(storeCode), \(roNo), \(order.vin), \(order.plate),
                \(order.customer.name), \(order.customer.mobile), \(order.sender.name), \(order.sender.mobile),
                \(order.businessType.rawValue), \(order.serviceAdvisor), \(order.mileageKm),
                \(order.brand), \(order.series), \(order.model), 'open', \(order.openedAt), 'crm')
            ON CONFLICT (store_id, ro_no) DO NOTHING
            RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    /// Completes an open order an SA settled; false if it was not open.
    func complete(_ id: UUID, amount: Decimal, completedAt: Date) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE aftersales.repair_order
            SET state = 'completed', amount = \(Money.text(amount))::numeric, completed_at = \(completedAt), updated_at = now()
            WHERE id = \(id) AND state = 'open'
            RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }
}
