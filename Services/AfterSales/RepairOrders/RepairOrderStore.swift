import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Writing repair orders in the `aftersales` schema: as the ERP's events say, or as an SA
/// opens and completes them in the CRM. One store and RO number is always one order.
///
/// An order completes once. Both ways of completing it end in an `UPDATE … WHERE state =
/// 'open'`: of two transactions completing the same order at once, the second waits for the
/// first's row lock, then finds the order no longer open and changes nothing — so only the
/// first completion is announced.
struct RepairOrderStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Records an opened repair order; an order already known keeps its state and gets the
    /// ERP's latest data.
    func recordOpened(_ order: ERPRepairOrderOpened) async throws {
        let storeID = StoreID.forStoreCode(order.storeCode)
        try await connection.query("""
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount, brand, series, model, state, opened_at, source)
            VALUES (
                \(UUID()), \(storeID), \(order.storeCode), \(order.roNo), \(order.vin), \(order.plate),
                \(order.customer.name), \(order.customer.mobile), \(order.sender.name), \(order.sender.mobile),
                \(order.businessType.rawValue), \(order.serviceAdvisor), \(order.mileageKm), \(order.amount.map(Money.text))::numeric,
                \(order.brand), \(order.series), \(order.model), 'open', \(order.openedAt), 'erp')
            ON CONFLICT (store_id, ro_no) DO UPDATE SET
                vin = EXCLUDED.vin, plate = EXCLUDED.plate,
                customer_name = EXCLUDED.customer_name, customer_mobile = EXCLUDED.customer_mobile,
                sender_name = EXCLUDED.sender_name, sender_mobile = EXCLUDED.sender_mobile,
                business_type = EXCLUDED.business_type, service_advisor = EXCLUDED.service_advisor,
                mileage_km = EXCLUDED.mileage_km, amount = COALESCE(EXCLUDED.amount, repair_order.amount),
                brand = EXCLUDED.brand, series = EXCLUDED.series, model = EXCLUDED.model,
                opened_at = EXCLUDED.opened_at, updated_at = now()
            """, logger: logger)
    }

    /// Records a completion. Returns the completion to announce, or `nil` if the order was
    /// completed before (the ERP sent the event again, or an SA completed it in the CRM).
    func recordCompleted(_ order: ERPRepairOrderCompleted) async throws -> RepairOrderCompleted? {
        // The ERP may complete an order it never announced as opened; either way its latest
        // data wins, exactly as for an opening.
        try await recordOpened(ERPRepairOrderOpened(
            storeCode: order.storeCode, roNo: order.roNo, vin: order.vin, plate: order.plate, customer: order.customer,
            sender: order.sender, businessType: order.businessType, serviceAdvisor: order.serviceAdvisor,
            mileageKm: order.mileageKm, amount: order.amount, openedAt: order.openedAt,
            brand: order.brand, series: order.series, model: order.model))
        let storeID = StoreID.forStoreCode(order.storeCode)
        let rows = try await connection.query("""
            UPDATE aftersales.repair_order
            SET state = 'completed', amount = \(Money.text(order.amount))::numeric, completed_at = \(order.completedAt), updated_at = now()
            WHERE store_id = \(storeID) AND ro_no = \(order.roNo) AND state = 'open'
            RETURNING id, completed_at
            """, logger: logger)
        guard let (id, completedAt) = try await rows.decode((UUID, Date).self).all().first else { return nil }
        return RepairOrderCompleted(
            repairOrderId: id, storeId: storeID, storeCode: order.storeCode, roNo: order.roNo, vin: order.vin,
            plate: order.plate, customer: order.customer, sender: order.sender, businessType: order.businessType,
            serviceAdvisor: order.serviceAdvisor, mileageKm: order.mileageKm, amount: order.amount,
            completedAt: completedAt, brand: order.brand, series: order.series, model: order.model)
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
