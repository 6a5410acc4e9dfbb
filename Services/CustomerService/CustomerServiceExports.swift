import Foundation
import ServiceKit

/// The spreadsheets of CustomerService's lists: the same rows as the list, Chinese headers as
/// the staff's manuals name the columns, times on the store's clock.
enum CustomerServiceExports {
    static func visitTasks(_ tasks: [VisitTaskView], timeZone: TimeZone) -> ExportTable {
        ExportTable(
            sheetName: "回访任务",
            headers: ["单号", "类型", "业务类型", "客户", "手机", "车牌", "VIN", "送修人", "送修人电话", "车系", "车型", "顾问", "单据时间", "状态", "回访人", "回访时间", "结果"],
            rows: tasks.map { task in
                [
                    ExportCell(task.orderNo), ExportCell(task.orderType == "repair" ? "维修" : "新车"), ExportCell(task.businessType),
                    ExportCell(task.customerName), ExportCell(task.customerMobile), ExportCell(task.plate), ExportCell(task.vin),
                    ExportCell(task.senderName), ExportCell(task.senderMobile), ExportCell(task.series), ExportCell(task.model),
                    ExportCell(task.staffName), ExportCell(task.orderAt, in: timeZone), ExportCell(stateName(task.state)),
                    ExportCell(task.assigneeName), ExportCell(task.visitedAt, in: timeZone), ExportCell(task.lastResult),
                ]
            })
    }

    static func complaints(_ complaints: [ComplaintView], timeZone: TimeZone) -> ExportTable {
        ExportTable(
            sheetName: "投诉",
            headers: ["投诉单号", "来源", "状态", "级别", "类别", "投诉人", "电话", "内容", "工单号", "车牌", "车型", "处理人", "受理时间", "处理期限", "超时"],
            rows: complaints.map { complaint in
                [
                    ExportCell(complaint.complaintNo), ExportCell(complaint.source), ExportCell(stateName(complaint.state)),
                    ExportCell(levelName(complaint.level.rawValue)), ExportCell(complaint.category), ExportCell(complaint.complainantName),
                    ExportCell(complaint.complainantMobile), ExportCell(complaint.content), ExportCell(complaint.roNo),
                    ExportCell(complaint.plate), ExportCell(complaint.model), ExportCell(complaint.handlerName),
                    ExportCell(complaint.receivedAt, in: timeZone), ExportCell(complaint.dueAt, in: timeZone),
                    ExportCell(complaint.overdue ? "是" : "否"),
                ]
            })
    }

    static func statistics(_ statistics: VisitStatistics) -> ExportTable {
        var rows: [[ExportCell]] = []
        for (index, question) in statistics.questions.enumerated() {
            for option in question.answers {
                rows.append([
                    ExportCell(index + 1), ExportCell(question.text), ExportCell(option.label), ExportCell(option.count),
                    ExportCell((option.share * 10000).rounded() / 100),
                ])
            }
        }
        return ExportTable(sheetName: "回访统计", headers: ["序号", "问题", "选项", "次数", "占比(%)"], rows: rows)
    }

    static func stateName(_ state: String) -> String {
        switch state {
        case "pending": return "待处理"
        case "assigned": return "已分配"
        case "visited": return "已回访"
        case "closed": return "已关闭"
        case "in_progress": return "处理中"
        case "resolved": return "已解决"
        default: return state
        }
    }

    static func levelName(_ level: String) -> String {
        switch level {
        case "minor": return "轻微"
        case "general": return "一般"
        case "urgent": return "紧急"
        case "severe": return "严重"
        default: return level
        }
    }
}
