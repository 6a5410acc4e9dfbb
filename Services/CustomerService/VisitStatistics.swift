import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Visit statistics (回访统计, CS7): for one template and period, each question's answers —
/// every option (or rating score) with its count and its share of the visits that answered
/// the question.
struct VisitStatistics: Codable, Sendable, ResponseEncodable {
    struct AnswerCount: Codable, Sendable {
        /// The option's text, or the score (`"8"`) of a rating.
        var label: String
        var optionId: UUID?
        var rating: Int?
        var count: Int
        /// `count` / `answered`, from 0 to 1; for multiple choice the shares add up to more than 1.
        var share: Double
        var negative: Bool
    }

    struct QuestionStatistics: Codable, Sendable {
        var questionId: UUID
        var text: String
        var type: Question.QuestionType
        /// Visits that answered the question.
        var answered: Int
        var answers: [AnswerCount]
        /// For ratings: the mean score.
        var averageRating: Double?
    }

    var templateId: UUID
    var templateName: String
    var from: Date?
    var to: Date?
    /// Visits with this template in the period.
    var visits: Int
    /// Of those, visits with a dissatisfied answer.
    var negativeVisits: Int
    var questions: [QuestionStatistics]
}

struct VisitStatisticsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("customer-service/visit-statistics", use: get)
        group.get("customer-service/visit-statistics/export", use: export)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> VisitStatistics {
        let principal = try context.require(.readVisitStatistics)
        return try await statistics(request, principal: principal)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readVisitStatistics)
        let format = try ExportFormat(request: request)
        let statistics = try await statistics(request, principal: principal)
        return try await Response.export(CustomerServiceExports.statistics(statistics), as: format, fileName: "visit-statistics")
    }

    private func statistics(_ request: Request, principal: Principal) async throws -> VisitStatistics {
        var query = QueryReader(request)
        let templateID = query.requiredUUID("templateId")
        let from = query.date("from")
        let to = query.date("to")
        try query.throwIfInvalid()
        guard let templateID else { throw ProblemDetails.validation([.init(field: "templateId", message: "is required")]) }
        return try await environment.database.withTransaction { connection in
            guard let template = try await TemplateStore(connection: connection, logger: environment.logger).template(templateID, store: principal.storeID) else {
                throw ProblemDetails.notFound("visit template \(templateID)")
            }
            var visitsSQL = QueryBuilder(" FROM customer_service.visit WHERE template_id = ")
            visitsSQL.append("", bind: template.id)
            visitsSQL.append(" AND store_id = ", bind: principal.storeID)
            if let from { visitsSQL.append(" AND visited_at >= ", bind: from) }
            if let to { visitsSQL.append(" AND visited_at < ", bind: to) }
            var visits = 0
            var negativeVisits = 0
            for try await (all, negative) in try await connection.query(
                visitsSQL.build(prefix: "SELECT count(*)::int, (count(*) FILTER (WHERE negative))::int"), logger: environment.logger
            ).decode((Int, Int).self) {
                visits = all
                negativeVisits = negative
            }

            var answersSQL = QueryBuilder(" FROM customer_service.visit_answer WHERE template_id = ")
            answersSQL.append("", bind: template.id)
            answersSQL.append(" AND store_id = ", bind: principal.storeID)
            if let from { answersSQL.append(" AND visited_at >= ", bind: from) }
            if let to { answersSQL.append(" AND visited_at < ", bind: to) }
            answersSQL.append(" GROUP BY question_id, option_id, rating")
            var counts: [UUID: [(option: UUID?, rating: Int?, count: Int)]] = [:]
            for try await (question, option, rating, count) in try await connection.query(
                answersSQL.build(prefix: "SELECT question_id, option_id, rating, count(DISTINCT visit_id)::int"), logger: environment.logger
            ).decode((UUID, UUID?, Int?, Int).self) {
                counts[question, default: []].append((option, rating, count))
            }
            var answeredSQL = QueryBuilder(" FROM customer_service.visit_answer WHERE template_id = ")
            answeredSQL.append("", bind: template.id)
            answeredSQL.append(" AND store_id = ", bind: principal.storeID)
            if let from { answeredSQL.append(" AND visited_at >= ", bind: from) }
            if let to { answeredSQL.append(" AND visited_at < ", bind: to) }
            answeredSQL.append(" GROUP BY question_id")
            var answered: [UUID: Int] = [:]
            for try await (question, count) in try await connection.query(
                answeredSQL.build(prefix: "SELECT question_id, count(DISTINCT visit_id)::int"), logger: environment.logger
            ).decode((UUID, Int).self) {
                answered[question] = count
            }

            let questions = template.questions.map { question -> VisitStatistics.QuestionStatistics in
                let total = answered[question.id] ?? 0
                let rows = counts[question.id] ?? []
                func share(_ count: Int) -> Double { total == 0 ? 0 : Double(count) / Double(total) }
                var answers: [VisitStatistics.AnswerCount] = []
                var average: Double?
                switch question.type {
                case .singleChoice, .multipleChoice:
                    // Every option appears, chosen or not, in the template's order.
                    answers = question.options.map { option in
                        let count = rows.first { $0.option == option.id }?.count ?? 0
                        return .init(label: option.text, optionId: option.id, rating: nil, count: count, share: share(count), negative: option.negative)
                    }
                case .rating:
                    let highest = question.maxRating ?? 5
                    answers = (1...highest).map { score in
                        let count = rows.first { $0.rating == score }?.count ?? 0
                        return .init(label: "\(score)", optionId: nil, rating: score, count: count, share: share(count),
                                     negative: question.negativeAtMost.map { score <= $0 } ?? false)
                    }
                    let sum = rows.reduce(0) { $0 + ($1.rating ?? 0) * $1.count }
                    average = total == 0 ? nil : Double(sum) / Double(total)
                case .text:
                    answers = []
                }
                return .init(questionId: question.id, text: question.text, type: question.type, answered: total, answers: answers, averageRating: average)
            }
            return VisitStatistics(
                templateId: template.id, templateName: template.name, from: from, to: to, visits: visits,
                negativeVisits: negativeVisits, questions: questions)
        }
    }
}
