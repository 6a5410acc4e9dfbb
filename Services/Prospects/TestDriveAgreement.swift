import Foundation
import ServiceKit

/// The test-drive agreement (试乘试驾协议) the customer signs before the drive: who drives which
/// car on which route when, and what the driver undertakes.
struct TestDriveAgreement {
    let drive: TestDriveView
    /// The store's word for the drive's kind (`testDriveKind`): 试乘 or 试驾 unless relabelled.
    let kindLabel: String
    let route: TestDriveRouteView?
    let storeName: String
    let timeZone: TimeZone

    func document() -> PrintableDocument {
        var document = PrintableDocument(title: "\(kindLabel)协议")
        document.paragraph("\(storeName)    单号: \(drive.testDriveNo)")
        document.heading("客户与试驾人")
        document.fields([
            (label: "客户名称", value: drive.prospectName),
            (label: "联系手机", value: drive.prospectMobile),
            (label: "试驾人姓名", value: drive.driverName),
            (label: "试驾人手机", value: drive.driverMobile),
            (label: "身份证号码", value: drive.idNumber ?? ""),
            (label: "驾驶证号", value: drive.licenceNumber ?? ""),
            (label: "试驾人地址", value: drive.driverAddress ?? ""),
            (label: "销售顾问", value: drive.consultantName ?? ""),
        ])
        document.heading("车辆与路线")
        document.fields([
            (label: "类型", value: kindLabel),
            (label: "试驾车型", value: [drive.brand, drive.series, drive.model].compactMap { $0 }.joined(separator: " ")),
            (label: "车牌号", value: drive.vehiclePlate ?? ""),
            (label: "VIN", value: drive.vin ?? ""),
            (label: "试驾路线", value: drive.routeName),
            (label: "路线距离", value: route.map { "\(Money.text($0.distanceKm)) 公里, 约 \($0.minutes) 分钟" } ?? ""),
            (label: "预约时间", value: LocalDateTime(drive.bookedFor, in: timeZone).text),
        ])
        document.heading("试驾人承诺")
        for (number, clause) in Self.clauses(storeName: storeName).enumerated() {
            document.paragraph("\(number + 1). \(clause)")
        }
        document.spacer(24)
        document.signatures(["试驾人签字", "销售顾问签字", "日期"])
        return document
    }

    static func clauses(storeName: String) -> [String] {
        [
            "本人自愿参加\(storeName)安排的试乘试驾，已阅读并同意本协议全部条款。",
            "试驾人年满十八周岁，持有准驾车型相符的有效机动车驾驶证，驾龄满一年；试驾前出示身份证与驾驶证原件，由销售顾问拍照存档。",
            "试驾人遵守道路交通安全法律法规，按指定路线行驶，服从陪同人员指挥；不在饮酒或服用影响驾驶的药物后驾驶。",
            "陪同人员认为存在安全隐患时，可随时终止试驾。",
            "试驾期间因试驾人违反交通法规或操作不当造成的罚款、车辆损失及人身伤害，由试驾人依法承担相应责任。",
            "本协议一式两份，试驾人与销售顾问签字后生效，双方各执一份。",
        ]
    }
}
