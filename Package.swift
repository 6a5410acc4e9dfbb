// swift-tools-version:6.0
import PackageDescription

/// The bounded contexts of Dealer CRM: one executable each, all reading the same way.
let services: [(target: String, product: String)] = [
    ("Leads", "crm-leads"),
    ("Prospects", "crm-prospects"),
    ("AfterSales", "crm-aftersales"),
    ("CustomerService", "crm-customer-service"),
    ("Coupons", "crm-coupons"),
    ("Marketing", "crm-marketing"),
    ("Gateway", "crm-gateway"),
]

/// What a service needs beyond ServiceKit: the gateway hashes passwords and calls the services.
let serviceDependencies: [String: [Target.Dependency]] = [
    "Gateway": [
        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
    ],
    // The SMS platform's Aliyun provider calls its HTTP API.
    "Marketing": [.product(name: "AsyncHTTPClient", package: "async-http-client")],
]

/// Resources beyond every service's Migrations folder.
let serviceResources: [String: [Resource]] = [
    "Gateway": [.copy("openapi.yaml")],
]

let package = Package(
    name: "DealerCRM",
    platforms: [.macOS(.v14)],
    products: services.map { .executable(name: $0.product, targets: [$0.target]) } + [
        .executable(name: "crm-bench", targets: ["Benchmarks"]),
        .library(name: "ServiceKit", targets: ["ServiceKit"]),
        .library(name: "Contracts", targets: ["Contracts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CRabbitMQ",
            path: "Shared/CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CXlsxWriter",
            path: "Shared/CXlsxWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        .systemLibrary(
            name: "CQRencode",
            path: "Shared/CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            path: "Shared/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CPangoCairo",
            path: "Shared/CPangoCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]
        ),
        .target(
            name: "Contracts",
            path: "Shared/Contracts",
            exclude: ["asyncapi.yaml"]
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "CRabbitMQ",
                "CXlsxWriter",
                "CPangoCairo",
                "CQRencode",
                "CLibXML2",
                "Contracts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Shared/ServiceKit"
        ),
    ] + services.map { service in
        .executableTarget(
            name: service.target,
            dependencies: ["ServiceKit", "Contracts"] + serviceDependencies[service.target, default: []],
            path: "Services/\(service.target)",
            resources: [.copy("Migrations")] + serviceResources[service.target, default: []]
        )
    } + [
        .executableTarget(
            name: "Benchmarks",
            dependencies: ["ServiceKit", "Contracts", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Benchmarks",
            exclude: ["README.md"]
        ),
        // What the test targets share: the run's servers, polling, failures.
        .target(
            name: "TestSupport",
            dependencies: ["ServiceKit"],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit", "Contracts", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/ServiceKitTests"
        ),
        .testTarget(
            name: "ContractsTests",
            dependencies: ["Contracts"],
            path: "Tests/ContractsTests",
            exclude: ["validate_event.py"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ServiceKit", "Contracts", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                // RecordingUpstream: a stand-in service behind the gateway.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/EndToEndTests"
        ),
    ],
    swiftLanguageModes: [.v5]
)
