import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A visit task to create, from whichever order it is for.
struct NewVisitTask {
    enum OrderType: String {
        case repair
        case newCar = "new_car"
        /// A prospect's follow-up (销售潜客任务, CS3).
        case prospect
    }

    var storeID: UUID
    var orderType: OrderType
    var orderNo: String
    var sourceEventID: String
    var customer: Person
    var plate: String?
    var vin: String?
    var sender: Person?
    var businessType: String?
    var brand: String?
    var series: String?
    var model: String?
    /// The service advisor (repair) or sales consultant (new car).
    var staffName: String
    var orderAt: Date

    init(repairOrder order: RepairOrderCompleted, eventID: String) {
        storeID = order.storeId
        orderType = .repair
        orderNo = order.roNo
        sourceEventID = eventID
        customer = order.customer
        plate = order.plate
        vin = order.vin
        sender = order.sender
        businessType = order.businessType.rawValue
        brand = order.brand
        series = order.series
        model = order.model
        staffName = order.serviceAdvisor
        orderAt = order.completedAt
    }

    init(delivery: ERPVehicleDelivered, eventID: String) {
        storeID = StoreID.forStoreCode(delivery.storeCode)
        orderType = .newCar
        orderNo = delivery.orderNo
        sourceEventID = eventID
        customer = delivery.customer
        plate = delivery.plate
        vin = delivery.vin
        sender = nil
        businessType = nil
        brand = delivery.brand
        series = delivery.series
        model = delivery.model
        staffName = delivery.consultant
        orderAt = delivery.deliveredAt
    }
}

extension NewVisitTask {
    /// CS3: customer service calls the prospect a consultant just followed up; the follow-up's
    /// number is the task's order number.
    init(prospectFollowUp followUp: ProspectFollowUpRecorded, eventID: String) {
        storeID = followUp.storeId
        orderType = .prospect
        orderNo = followUp.followUpNo
        sourceEventID = eventID
        customer = followUp.customer
        plate = nil
        vin = nil
        sender = nil
        businessType = nil
        brand = followUp.brand
        series = followUp.series
        model = followUp.model
        staffName = followUp.consultant
        orderAt = followUp.recordedAt
    }
}

/// Visit tasks in the `customer_service` schema.
struct VisitTaskStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Creates the tasks with one statement; an order that already has a task keeps it.
    func createTasks(_ tasks: [NewVisitTask]) async throws {
        guard !tasks.isEmpty else { return }
        var binds = PostgresBindings(capacity: 18)
        // Time-ordered ids: PostgreSQL adds them at the right edge of the primary key's index,
        // not all over it (rows come by the hundred from a consumer batch).
        var ids = TimeOrderedUUIDs()
        binds.append(tasks.map { _ in ids.next() })
        binds.append(tasks.map(\.storeID))
        binds.append(tasks.map(\.orderType.rawValue))
        binds.append(tasks.map(\.orderNo))
        binds.append(tasks.map(\.sourceEventID))
        binds.append(tasks.map(\.customer.name))
        binds.append(tasks.map(\.customer.mobile))
        // Text arrays cannot carry NULL here: '' stands for "none" and NULLIF turns it back.
        binds.append(tasks.map { $0.plate ?? "" })
        binds.append(tasks.map { $0.vin ?? "" })
        binds.append(tasks.map { $0.sender?.name ?? "" })
        binds.append(tasks.map { $0.sender?.mobile ?? "" })
        binds.append(tasks.map { $0.businessType ?? "" })
        binds.append(tasks.map { $0.brand ?? "" })
        binds.append(tasks.map { $0.series ?? "" })
        binds.append(tasks.map { $0.model ?? "" })
        binds.append(tasks.map(\.staffName))
        binds.append(tasks.map(\.orderAt))
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO customer_service.visit_task (
                id, store_id, order_type, order_no, source_event_id, customer_name, customer_mobile,
                plate, vin, sender_name, sender_mobile, business_type, brand, series, model, staff_name, order_at)
            SELECT id, store_id, order_type, order_no, source_event_id, customer_name, customer_mobile,
                NULLIF(plate, ''), NULLIF(vin, ''), NULLIF(sender_name, ''), NULLIF(sender_mobile, ''),
                NULLIF(business_type, ''), NULLIF(brand, ''), NULLIF(series, ''), NULLIF(model, ''), staff_name, order_at
            FROM unnest(
                $1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                $16::text[], $17::timestamptz[])
                AS task(id, store_id, order_type, order_no, source_event_id, customer_name, customer_mobile,
                        plate, vin, sender_name, sender_mobile, business_type, brand, series, model, staff_name, order_at)
            ON CONFLICT (store_id, order_type, order_no) DO NOTHING
            """, binds: binds), logger: logger)
    }
}
