import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A visit template (回访模板, CS1): the questions an agent asks on a satisfaction call, and
/// which answers count as dissatisfied — a visit with such an answer opens a complaint.
struct VisitTemplate: Codable, Sendable, ResponseEncodable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        /// 销售回访: after a new-car delivery or a prospect's follow-up.
        case sales
        /// 售后回访: after a repair order.
        case afterSales = "after_sales"
        /// 客服回访: anything else customer service calls about.
        case customerService = "customer_service"
    }

    var id: UUID
    var storeId: UUID
    var name: String
    var kind: Kind
    var isDefault: Bool
    var questions: [Question]
    var createdAt: Date
    var updatedAt: Date
}

struct Question: Codable, Sendable, Equatable {
    enum QuestionType: String, Codable, Sendable, CaseIterable, BodyCode {
        case singleChoice = "single_choice"
        case multipleChoice = "multiple_choice"
        /// A score from 1 to `maxRating`.
        case rating
        /// Free text; never counts as negative.
        case text
    }

    var id: UUID
    var text: String
    var type: QuestionType
    var required: Bool
    var options: [Option]
    /// For ratings: the highest score (e.g. 5 or 10).
    var maxRating: Int?
    /// For ratings: scores up to this one are dissatisfied answers.
    var negativeAtMost: Int?
}

struct Option: Codable, Sendable, Equatable {
    var id: UUID
    var text: String
    /// Choosing it is a dissatisfied answer (不满意).
    var negative: Bool
}

/// A template as a client writes it; ids are given by the service.
struct TemplateDraft: Decodable {
    struct QuestionDraft: Decodable {
        var text: String
        var type: Question.QuestionType
        var required: Bool?
        var options: [OptionDraft]?
        var maxRating: Int?
        var negativeAtMost: Int?
    }

    struct OptionDraft: Decodable {
        var text: String
        var negative: Bool?
    }

    var name: String
    /// A code of the store's dictionary `visitKind`; read as text so that a bad one is named
    /// with the body's other bad fields.
    var kind: String
    var questions: [QuestionDraft]
    var isDefault: Bool?

    /// The kind and the questions with fresh ids, or a 422 naming every bad field.
    ///
    /// - Parameter kinds: the store's dictionary `visitKind`; a disabled kind is refused.
    func validated(kinds: StoreDictionary) throws -> (name: String, kind: VisitTemplate.Kind, questions: [Question]) {
        var check = FieldValidator()
        let name = check.text("name", name, maxLength: 100)
        let kind = check.requiredCode("kind", kind, in: kinds, as: VisitTemplate.Kind.self)
        check.require(!questions.isEmpty, "questions", "must have at least one question")
        check.require(questions.count <= 50, "questions", "must have at most 50 questions")
        var result: [Question] = []
        for (index, draft) in questions.enumerated() {
            let field = "questions[\(index)]"
            let text = check.text("\(field).text", draft.text, maxLength: 200)
            var options: [Option] = []
            var maxRating: Int?
            var negativeAtMost: Int?
            switch draft.type {
            case .singleChoice, .multipleChoice:
                let drafts = draft.options ?? []
                check.require(drafts.count >= 2 && drafts.count <= 20, "\(field).options", "a choice question needs 2 to 20 options")
                for (optionIndex, option) in drafts.enumerated() {
                    let optionText = check.text("\(field).options[\(optionIndex)].text", option.text, maxLength: 100)
                    options.append(Option(id: UUID(), text: optionText, negative: option.negative ?? false))
                }
                check.require(Set(options.map(\.text)).count == options.count, "\(field).options", "option texts must differ")
            case .rating:
                let highest = draft.maxRating ?? 5
                check.require((2...10).contains(highest), "\(field).maxRating", "must be from 2 to 10")
                if let limit = draft.negativeAtMost {
                    check.require((0..<highest).contains(limit), "\(field).negativeAtMost", "must be from 0 to \(highest - 1)")
                }
                check.require(draft.options?.isEmpty ?? true, "\(field).options", "a rating question has no options")
                maxRating = highest
                negativeAtMost = draft.negativeAtMost
            case .text:
                check.require(draft.options?.isEmpty ?? true, "\(field).options", "a text question has no options")
            }
            result.append(Question(
                id: UUID(), text: text, type: draft.type, required: draft.required ?? true, options: options,
                maxRating: maxRating, negativeAtMost: negativeAtMost))
        }
        try check.throwIfInvalid()
        guard let kind else { throw ProblemDetails.validation(check.errors) }
        return (name, kind, result)
    }
}

/// The templates every store starts with, seeded when the gateway announces the store.
enum DefaultTemplates {
    static func afterSales() -> (name: String, questions: [Question]) {
        ("售后满意度回访（默认）", [
            choice("您对本次维修保养的整体服务是否满意？", ["非常满意", "满意", "一般"], negative: ["不满意", "非常不满意"]),
            choice("服务顾问是否向您解释了维修项目和费用？", ["是"], negative: ["否"]),
            choice("车辆是否按约定时间交付？", ["是"], negative: ["否"]),
            Question(id: UUID(), text: "请为本次服务打分（1-10分）", type: .rating, required: true, options: [], maxRating: 10, negativeAtMost: 6),
            Question(id: UUID(), text: "您还有什么意见或建议？", type: .text, required: false, options: [], maxRating: nil, negativeAtMost: nil),
        ])
    }

    static func sales() -> (name: String, questions: [Question]) {
        ("新车交付回访（默认）", [
            choice("您对购车过程中销售顾问的服务是否满意？", ["非常满意", "满意", "一般"], negative: ["不满意", "非常不满意"]),
            choice("交车时是否为您讲解了车辆功能和保养知识？", ["是"], negative: ["否"]),
            Question(id: UUID(), text: "您愿意向亲友推荐本店吗？（1-10分）", type: .rating, required: true, options: [], maxRating: 10, negativeAtMost: 6),
            Question(id: UUID(), text: "您还有什么意见或建议？", type: .text, required: false, options: [], maxRating: nil, negativeAtMost: nil),
        ])
    }

    private static func choice(_ text: String, _ positive: [String], negative: [String]) -> Question {
        Question(
            id: UUID(), text: text, type: .singleChoice, required: true,
            options: positive.map { Option(id: UUID(), text: $0, negative: false) } + negative.map { Option(id: UUID(), text: $0, negative: true) },
            maxRating: nil, negativeAtMost: nil)
    }
}
