import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The data dictionaries (数据字典, G5) Prospects writes, reads and prints with. The API and the
/// database carry codes; a write is checked against the store's set (a disabled entry is refused,
/// a store's own source or defeat reason accepted), and exports and printouts show the store's
/// words for the codes.
///
/// | field | set |
/// |---|---|
/// | gender | `gender` |
/// | traffic `arrival` | `trafficArrival` |
/// | `category` | `prospectCategory` |
/// | `source` | `prospectSource` (open) |
/// | traffic `nature` | `trafficNature` |
/// | `level`, follow-up `levelBefore` | `prospectLevel` |
/// | prospect `state` | `prospectState` |
/// | `defeatReason`, settings' `defeatPoolReasons` | `defeatReason` (open) |
/// | follow-up `method`, `next.method` | `followUpMethod` |
/// | follow-up `contents` | `followUpContent` |
/// | follow-up `result` | `followUpResult` |
/// | follow-up `contact` | `followUpContact` |
/// | follow-up `next.content` | `nextFollowUpContent` |
/// | test drive `kind` | `testDriveKind` |
/// | test drive `state` | `testDriveState` |
enum ProspectDictionaries {
    /// The sets of one store, as its administrator left them.
    static func load(
        _ sets: [DataDictionaries.Set], store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger
    ) async throws -> StoreDictionaries {
        try await directory.dictionaries(sets, store: store, on: connection, logger: logger)
    }
}
