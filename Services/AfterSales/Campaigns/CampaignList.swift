import Foundation
import Hummingbird
import ServiceKit

/// The columns of the campaign-list template (导入活动文件, seed §5.1): each row names one car of
/// the store by its VIN (车架号) or, without one, by its plate (车牌号).
enum CampaignListColumn: String, ImportColumn {
    case vin, plate

    /// Neither alone: a row needs one of the two (`CampaignListMatcher`).
    static let required: [CampaignListColumn] = []

    var header: String {
        switch self {
        case .vin: "车架号"
        case .plate: "车牌号"
        }
    }
}

/// What a list import did, or would do on a dry run: one result per data row.
struct CampaignListReport: Codable, Sendable, ResponseEncodable {
    struct RowResult: Codable, Sendable {
        var row: Int
        /// `listed` (the car is on the list), `duplicate` (an earlier row named the same car) or
        /// `rejected` (`errors` say why).
        var outcome: String
        var vehicleId: UUID?
        var errors: [ProblemDetails.FieldError]?
    }

    var dryRun: Bool
    var rows: Int
    /// Cars on the list after the import (the file replaces the list).
    var listed: Int
    var duplicates: Int
    var rejected: Int
    var results: [RowResult]
}

/// Finds the store's car of each row: by VIN when the row has one, else by plate. A VIN or
/// plate the store has no file for, and a plate of several files, reject the row.
struct CampaignListMatcher {
    /// The store's files of the file's VINs (VIN → id) and plates (plate → ids).
    var vehicleByVIN: [String: UUID]
    var vehiclesByPlate: [String: [UUID]]

    /// The report of `rows`, and the cars to list.
    func report(_ rows: [ImportedRow<CampaignListColumn>], dryRun: Bool) -> (report: CampaignListReport, vehicles: [UUID]) {
        var results: [CampaignListReport.RowResult] = []
        var listed: [UUID] = []
        var seen: Set<UUID> = []
        for row in rows {
            var result = CampaignListReport.RowResult(row: row.row, outcome: "rejected")
            if let vin = row.cell(.vin).map(VIN.normalise) {
                if let id = vehicleByVIN[vin] { result.vehicleId = id } else {
                    result.errors = [.init(field: CampaignListColumn.vin.header, message: "the store has no vehicle file with the VIN \(vin)")]
                }
            } else if let plate = row.cell(.plate).map(Plate.normalise) {
                let ids = vehiclesByPlate[plate] ?? []
                if ids.count == 1 { result.vehicleId = ids[0] } else {
                    result.errors = [.init(
                        field: CampaignListColumn.plate.header,
                        message: ids.isEmpty ? "the store has no vehicle file with the plate \(plate)"
                            : "\(ids.count) vehicle files have the plate \(plate); give the VIN")]
                }
            } else {
                result.errors = [.init(field: "row", message: "needs a VIN (车架号) or a plate (车牌号)")]
            }
            if let id = result.vehicleId {
                result.outcome = seen.insert(id).inserted ? "listed" : "duplicate"
                if result.outcome == "listed" { listed.append(id) }
            }
            results.append(result)
        }
        let report = CampaignListReport(
            dryRun: dryRun, rows: rows.count, listed: listed.count, duplicates: results.count { $0.outcome == "duplicate" },
            rejected: results.count { $0.outcome == "rejected" }, results: results)
        return (report, listed)
    }
}
