import Foundation
import ServiceKit

/// The printed purchase proposal (购车建议书) a consultant hands the customer: the car, every
/// cost of putting it on the road, and the loan if there is one.
struct ProposalDocument {
    let proposal: ProposalView
    let storeName: String
    let timeZone: TimeZone

    func document() -> PrintableDocument {
        let quote = proposal.quote
        var document = PrintableDocument(title: "购车建议书")
        document.paragraph("\(storeName)    编号: \(proposal.proposalNo)    日期: \(LocalDateTime(proposal.createdAt, in: timeZone).text)")
        document.heading("客户")
        document.fields([
            (label: "客户名称", value: proposal.prospectName),
            (label: "联系手机", value: proposal.prospectMobile),
            (label: "销售顾问", value: proposal.consultantName ?? ""),
            (label: "有效期至", value: proposal.validUntil),
        ])
        document.heading("车辆")
        document.fields([
            (label: "品牌", value: proposal.brand),
            (label: "车系", value: proposal.series),
            (label: "车型", value: proposal.model),
            (label: "颜色", value: proposal.color ?? ""),
        ])
        document.heading("费用明细 (元)")
        var rows: [[String]] = [
            ["厂家指导价", Money.printed(quote.listPrice)],
            ["优惠", Money.printed(quote.discount)],
            ["裸车价", Money.printed(quote.vehiclePrice)],
            ["购置税", Money.printed(quote.purchaseTax)],
            ["保险", Money.printed(quote.insurance)],
            ["上牌费", Money.printed(quote.registration)],
            ["精品 / 装潢", Money.printed(quote.accessories)],
            ["落地价合计", Money.printed(quote.total)],
        ]
        if let downPayment = quote.downPayment, let loanAmount = quote.loanAmount, let months = quote.loanMonths {
            rows += [
                ["首付", Money.printed(downPayment)],
                ["贷款金额", Money.printed(loanAmount)],
                ["贷款期数", "\(months) 期"],
                ["年利率", "\(Money.text(quote.annualRatePercent ?? 0))%"],
                ["月供 (等额本息)", quote.monthlyPayment.map(Money.printed) ?? ""],
            ]
        }
        document.table(headers: ["项目", "金额"], rows: rows, widths: [0.6, 0.4], alignments: [.leading, .trailing])
        if let note = proposal.note {
            document.heading("备注")
            document.paragraph(note)
        }
        document.paragraph("本建议书价格在有效期内有效，最终价格以双方签订的购车合同为准。")
        document.spacer(24)
        document.signatures(["客户签字", "销售顾问签字", "日期"])
        return document
    }
}
