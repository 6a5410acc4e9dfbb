import Contracts
import Foundation
import ServiceKit

/// The spreadsheets of CustomerService's lists: the same rows as the list, Chinese headers as
/// the staff's manuals name the columns, times on the store's clock, and every code in the
/// words of the row's own store's dictionary (G5) — a group-wide list spans stores.
enum CustomerServiceExports {
    /// 类型 `visitOrderType`, 业务类型 `repairBusinessType`, 状态 `visitTaskState`, 结果 `visitResult`.
    static func visitTasks(_ tasks: [VisitTaskView], dictionaries: DictionarySets, timeZone: TimeZone) -> ExportTable {
        ExportTable(
            sheetName: "回访任务",
            headers: ["单号", "类型", "业务类型", "客户", "手机", "车牌", "VIN", "送修人", "送修人电话", "车系", "车型", "顾问", "单据时间", "状态", "回访人", "回访时间", "结果"],
            rows: tasks.map { task in
                let words = dictionaries[task.storeId]
                return [
                    ExportCell(task.orderNo), ExportCell(words[DataDictionaries.visitOrderType].label(task.orderType)),
                    ExportCell(words[DataDictionaries.repairBusinessType].label(task.businessType)),
                    ExportCell(task.customerName), ExportCell(task.customerMobile), ExportCell(task.plate), ExportCell(task.vin),
                    ExportCell(task.senderName), ExportCell(task.senderMobile), ExportCell(task.series), ExportCell(task.model),
                    ExportCell(task.staffName), ExportCell(task.orderAt, in: timeZone),
                    ExportCell(words[DataDictionaries.visitTaskState].label(task.state)),
                    ExportCell(task.assigneeName), ExportCell(task.visitedAt, in: timeZone),
                    ExportCell(words[DataDictionaries.visitResult].label(task.lastResult)),
                ]
            })
    }

    /// 来源 `complaintSource`, 状态 `complaintState`, 级别 `complaintLevel`, 类别 `complaintCategory`
    /// (free text of old complaints as written), 性别 `gender`.
    static func complaints(_ complaints: [ComplaintView], dictionaries: DictionarySets, timeZone: TimeZone) -> ExportTable {
        ExportTable(
            sheetName: "投诉",
            headers: ["投诉单号", "来源", "状态", "级别", "类别", "投诉人", "性别", "电话", "内容", "工单号", "车牌", "车型", "处理人", "受理时间", "处理期限", "超时"],
            rows: complaints.map { complaint in
                let words = dictionaries[complaint.storeId]
                return [
                    ExportCell(complaint.complaintNo), ExportCell(words[DataDictionaries.complaintSource].label(complaint.source)),
                    ExportCell(words[DataDictionaries.complaintState].label(complaint.state)),
                    ExportCell(words[DataDictionaries.complaintLevel].label(complaint.level.rawValue)),
                    ExportCell(words[DataDictionaries.complaintCategory].label(complaint.category)), ExportCell(complaint.complainantName),
                    ExportCell(words[DataDictionaries.gender].label(complaint.complainantGender)),
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
                    .percent(option.share),
                ])
            }
        }
        return ExportTable(sheetName: "回访统计", headers: ["序号", "问题", "选项", "次数", "占比(%)"], rows: rows)
    }
}
