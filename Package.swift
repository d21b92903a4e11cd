// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "FraudScreen",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FraudScreenCore", targets: ["FraudScreenCore"]),
        .executable(name: "fraudscreen", targets: ["fraudscreen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C shims: system libraries behind plain-C interfaces (ICU's headers clash with Foundation's).
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n"), .linkedLibrary("icudata")]
        ),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),

        // The screening engine: text → normalised text → tokens and entities → rule hits → scores → verdict.
        .target(
            name: "FraudScreenCore",
            dependencies: ["CICU", "CPCRE2", .product(name: "Yams", package: "Yams")]
        ),

        // Thin executables.
        .executableTarget(
            name: "fraudscreen",
            dependencies: ["FraudScreenCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "FraudScreenCoreTests", dependencies: ["FraudScreenCore"]),
        .testTarget(name: "FraudScreenCLITests", dependencies: ["FraudScreenCore"]),
        .testTarget(name: "FraudScreenCorpusTests", dependencies: ["FraudScreenCore"]),
    ]
)
