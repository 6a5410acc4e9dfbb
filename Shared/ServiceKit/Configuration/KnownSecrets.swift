/// Passwords and keys that are written somewhere in this repository — in the launcher, the
/// tests, the deploy templates or their history — and so are known to anyone who reads it.
///
/// Outside `CRM_ENVIRONMENT=development` a service refuses to start with any of them (issue 10):
/// a deployment must bring its own. Compared case-insensitively.
public enum KnownSecrets {
    public static let values: Set<String> = [
        // The local launcher's and the tests' development passwords.
        "dealer-crm-dev", "dealer-crm-admin", "dealer-demo", "guest",
        // Defaults the compose file and the Kubernetes template once had.
        "postgres-dev", "admin-dev-password", "change_me", "changeme", "change-me",
        "dev-only-jwt-secret-change-me-0123456789",
        // The HMAC secret every service once fell back to.
        "dealer-crm-local-development-secret-do-not-deploy",
        // The token between services of a development process (`CRM_INTERNAL_TOKEN`).
        "dealer-crm-internal-development-token",
        // Placeholders people copy from documentation.
        "password", "secret", "postgres", "admin",
    ]

    /// Whether `value` is one of them.
    public static func contains(_ value: String) -> Bool {
        values.contains(value.lowercased())
    }
}
