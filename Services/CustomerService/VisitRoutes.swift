import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `POST /api/v1/customer-service/visit-tasks/{id}/visits` (CS4): an agent records a call — the
/// template's answers and a result. A dissatisfied answer opens a complaint in the same
/// transaction. `GET` lists a task's visits.
struct VisitRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("customer-service/visit-tasks/:id/visits", use: perform)
        group.get("customer-service/visit-tasks/:id/visits", use: list)
    }

    enum Result: String, Codable, CaseIterable {
        case done, unreachable, refused
        case callAgain = "call_again"
    }

    struct Answer: Codable {
        var questionId: UUID
        var optionIds: [UUID]?
        var rating: Int?
        var text: String?
    }

    struct VisitRequest: Decodable {
        /// A code of the store's dictionary `visitResult`; read as text so that a bad one is
        /// named with the body's other bad fields.
        var result: String
        var templateId: UUID?
        var answers: [Answer]?
        var note: String?
    }

    struct VisitView: Codable, ResponseEncodable {
        var id: UUID
        var taskId: UUID
        var templateId: UUID
        var agentId: UUID
        var result: String
        var note: String?
        var negative: Bool
        var visitedAt: Date
        var answers: [Answer]
        /// The complaint a dissatisfied answer opened.
        var complaintId: UUID?
    }

    struct VisitList: Codable, ResponseEncodable {
        var items: [VisitView]
    }

    @Sendable func perform(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<VisitView> {
        let principal = try context.require(.performVisits)
        let taskID = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: VisitRequest.self, context: context)

        let visit = try await environment.database.withTransaction { connection in
            let tasks = VisitTaskQueries(connection: connection, logger: environment.logger, directory: environment.directory)
            guard let task = try await tasks.task(taskID, principal: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("visit task \(taskID)")
            }
            guard ["pending", "assigned"].contains(task.state) else {
                throw ProblemDetails.conflict("the task is \(task.state) already")
            }
            let results = try await environment.directory.dictionary(
                DataDictionaries.visitResult, store: task.storeId, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let note = check.optionalText("note", body.note, maxLength: 500)
            let result = check.requiredCode("result", body.result, in: results, as: Result.self)
            try check.throwIfInvalid()
            guard let result else { throw ProblemDetails.validation(check.errors) }
            let templates = TemplateStore(connection: connection, logger: environment.logger)
            let template: VisitTemplate?
            if let templateID = body.templateId {
                template = try await templates.template(templateID, store: task.storeId)
                guard template != nil else { throw ProblemDetails.validation([.init(field: "templateId", message: "is not a visit template of the store")]) }
            } else {
                template = try await templates.defaultTemplate(store: task.storeId, kind: task.orderType == "repair" ? .afterSales : .sales)
                guard template != nil else { throw ProblemDetails.validation([.init(field: "templateId", message: "is required: the store has no default template")]) }
            }
            let answers = body.answers ?? []
            let checked = try AnswerCheck(template: template!, answers: answers, complete: result == .done).run()

            let visitID = UUID()
            let now = environment.configuration.clock.now()
            try await connection.query("""
                INSERT INTO customer_service.visit (id, store_id, task_id, template_id, agent_id, result, note, negative, visited_at)
                VALUES (\(visitID), \(task.storeId), \(taskID), \(template!.id), \(principal.userID), \(result.rawValue), \(note),
                        \(!checked.dissatisfied.isEmpty), \(now))
                """, logger: environment.logger)
            for row in checked.rows {
                try await connection.query("""
                    INSERT INTO customer_service.visit_answer (visit_id, store_id, template_id, question_id, option_id, rating, text, negative, visited_at)
                    VALUES (\(visitID), \(task.storeId), \(template!.id), \(row.questionID), \(row.optionID), \(row.rating), \(row.text), \(row.negative), \(now))
                    """, logger: environment.logger)
            }
            let state: String = switch result {
            case .done: "visited"
            case .refused: "closed"
            case .unreachable, .callAgain: "assigned"
            }
            try await connection.query("""
                UPDATE customer_service.visit_task SET state = \(state), last_result = \(result.rawValue), attempts = attempts + 1,
                    visited_at = CASE WHEN \(state) = 'visited' THEN \(now) ELSE visited_at END,
                    assignee_id = COALESCE(assignee_id, \(principal.userID)),
                    assigned_at = COALESCE(assigned_at, \(now)), updated_at = now()
                WHERE id = \(taskID)
                """, logger: environment.logger)
            var complaintID: UUID?
            if !checked.dissatisfied.isEmpty {
                complaintID = try await ComplaintStore(
                    connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox, now: now
                ).open(ComplaintDraft(visit: visitID, task: task, dissatisfied: checked.dissatisfied, receivedAt: now), store: task.storeId, openedBy: principal.userID)
            }
            return VisitView(
                id: visitID, taskId: taskID, templateId: template!.id, agentId: principal.userID, result: result.rawValue, note: note,
                negative: !checked.dissatisfied.isEmpty, visitedAt: now, answers: answers, complaintId: complaintID)
        }
        return EditedResponse(status: .created, response: visit)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> VisitList {
        let principal = try context.require(.readVisitTasks)
        let taskID = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            let tasks = VisitTaskQueries(connection: connection, logger: environment.logger, directory: environment.directory)
            guard try await tasks.task(taskID, principal: principal) != nil else { throw ProblemDetails.notFound("visit task \(taskID)") }
            var visits: [VisitView] = []
            let rows = try await connection.query("""
                SELECT v.id, v.template_id, v.agent_id, v.result, v.note, v.negative, v.visited_at,
                       (SELECT c.id FROM customer_service.complaint c WHERE c.visit_id = v.id LIMIT 1)
                FROM customer_service.visit v WHERE v.task_id = \(taskID) ORDER BY v.visited_at, v.id
                """, logger: environment.logger)
            for try await (id, templateID, agentID, result, note, negative, visitedAt, complaintID) in rows.decode(
                (UUID, UUID, UUID, String, String?, Bool, Date, UUID?).self)
            {
                visits.append(VisitView(
                    id: id, taskId: taskID, templateId: templateID, agentId: agentID, result: result, note: note, negative: negative,
                    visitedAt: visitedAt, answers: [], complaintId: complaintID))
            }
            for index in visits.indices {
                let answers = try await connection.query("""
                    SELECT question_id, option_id, rating, text FROM customer_service.visit_answer WHERE visit_id = \(visits[index].id)
                    """, logger: environment.logger)
                var byQuestion: [UUID: Answer] = [:]
                var order: [UUID] = []
                for try await (question, option, rating, text) in answers.decode((UUID, UUID?, Int?, String?).self) {
                    if byQuestion[question] == nil { order.append(question); byQuestion[question] = Answer(questionId: question) }
                    if let option { byQuestion[question]!.optionIds = (byQuestion[question]!.optionIds ?? []) + [option] }
                    if let rating { byQuestion[question]!.rating = rating }
                    if let text { byQuestion[question]!.text = text }
                }
                visits[index].answers = order.map { byQuestion[$0]! }
            }
            return VisitList(items: visits)
        }
    }
}

/// Checks a visit's answers against its template and finds the dissatisfied ones.
struct AnswerCheck {
    struct Row {
        var questionID: UUID
        var optionID: UUID?
        var rating: Int?
        var text: String?
        var negative: Bool
    }

    let template: VisitTemplate
    let answers: [VisitRoutes.Answer]
    /// A completed visit must answer every required question.
    let complete: Bool

    func run() throws -> (rows: [Row], dissatisfied: [String]) {
        var check = FieldValidator()
        var rows: [Row] = []
        var dissatisfied: [String] = []
        let questions = Dictionary(uniqueKeysWithValues: template.questions.map { ($0.id, $0) })
        var answered = Set<UUID>()
        for (index, answer) in answers.enumerated() {
            let field = "answers[\(index)]"
            guard let question = questions[answer.questionId] else {
                check.fail("\(field).questionId", "is not a question of the template")
                continue
            }
            guard answered.insert(question.id).inserted else {
                check.fail("\(field).questionId", "is answered twice")
                continue
            }
            switch question.type {
            case .singleChoice, .multipleChoice:
                let chosen = answer.optionIds ?? []
                let options = Dictionary(uniqueKeysWithValues: question.options.map { ($0.id, $0) })
                if question.type == .singleChoice {
                    check.require(chosen.count == 1, "\(field).optionIds", "must name exactly one option")
                } else {
                    check.require(!chosen.isEmpty && Set(chosen).count == chosen.count, "\(field).optionIds", "must name one or more different options")
                }
                for (optionIndex, id) in chosen.enumerated() {
                    guard let option = options[id] else {
                        check.fail("\(field).optionIds[\(optionIndex)]", "is not an option of the question")
                        continue
                    }
                    rows.append(Row(questionID: question.id, optionID: id, negative: option.negative))
                    if option.negative { dissatisfied.append("\(question.text) \(option.text)") }
                }
            case .rating:
                guard let rating = answer.rating, (1...(question.maxRating ?? 5)).contains(rating) else {
                    check.fail("\(field).rating", "must be a whole number from 1 to \(question.maxRating ?? 5)")
                    continue
                }
                let negative = question.negativeAtMost.map { rating <= $0 } ?? false
                rows.append(Row(questionID: question.id, rating: rating, negative: negative))
                if negative { dissatisfied.append("\(question.text) \(rating)分") }
            case .text:
                let text = answer.text?.trimmed ?? ""
                check.require(text.count <= 500, "\(field).text", "must be at most 500 characters")
                if !text.isEmpty { rows.append(Row(questionID: question.id, text: text, negative: false)) }
            }
        }
        if complete {
            for (index, question) in template.questions.enumerated() where question.required && !answered.contains(question.id) {
                check.fail("answers", "question \(index + 1) (\(question.text)) is required for a completed visit")
            }
        }
        try check.throwIfInvalid()
        return (rows, dissatisfied)
    }
}
