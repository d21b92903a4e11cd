// swift-tools-version:6.1
import PackageDescription

// The keyword automaton counts filter bits at every step it takes into a state's row. Baseline x86-64 has no
// instruction for that (Swift emits a dozen-instruction sequence); every x86-64 server CPU since 2008 has
// POPCNT (x86-64-v2, the baseline of current enterprise distributions). Swift takes target features from
// the clang options. Other architectures have their own instruction by default.
#if arch(x86_64)
let populationCountFlags = ["-Xcc", "-mpopcnt"]
#else
let populationCountFlags: [String] = []
#endif

let package = Package(
    name: "FraudScreen",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FraudScreenCore", targets: ["FraudScreenCore"]),
        .library(name: "FraudScreenServer", targets: ["FraudScreenServer"]),
        .library(name: "FraudScreenClient", targets: ["FraudScreenClient"]),
        .library(name: "FraudScreenReplay", targets: ["FraudScreenReplay"]),
        .executable(name: "fraudscreen", targets: ["fraudscreen"]),
        .executable(name: "fraudscreend", targets: ["fraudscreend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shims: system libraries behind plain-C interfaces (ICU's headers clash with Foundation's).
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n"), .linkedLibrary("icudata")]
        ),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-32", providers: [.apt(["libpcre2-dev"])]),

        // The screening engine: text → normalised text → tokens and entities → rule hits → scores → verdict.
        .target(
            name: "FraudScreenCore",
            dependencies: ["CICU", "CPCRE2", .product(name: "Yams", package: "Yams")],
            // The screener's scratch state lives in one class used by one thread at a time; runtime
            // exclusivity checks on it cost ~25% of screening time in release builds (docs/BENCHMARKS.md).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"] + populationCountFlags, .when(configuration: .release))]
        ),

        // The daemon side: newline-delimited JSON over a Unix socket (docs/PROTOCOL.md).
        .target(
            name: "FraudScreenServer",
            dependencies: [
                "FraudScreenCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Talking to the daemon: typed requests and answers, pipelining.
        .target(
            name: "FraudScreenClient",
            dependencies: [
                "FraudScreenCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Replaying corpora: metrics, rule frequencies, baseline diffs, HTML report.
        .target(name: "FraudScreenReplay", dependencies: ["FraudScreenCore"]),

        // Thin executables.
        .executableTarget(
            name: "fraudscreen",
            dependencies: [
                "FraudScreenCore", "FraudScreenClient", "FraudScreenReplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "fraudscreend",
            dependencies: [
                "FraudScreenServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // What several test targets share (a small rule-set directory).
        .target(name: "FraudScreenTestSupport", path: "Tests/FraudScreenTestSupport"),
        .testTarget(name: "FraudScreenCoreTests", dependencies: ["FraudScreenCore"]),
        .testTarget(name: "FraudScreenCLITests", dependencies: ["FraudScreenCore", "FraudScreenTestSupport"]),
        .testTarget(name: "FraudScreenCorpusTests", dependencies: ["FraudScreenCore"]),
        .testTarget(name: "FraudScreenServerTests", dependencies: ["FraudScreenCore", "FraudScreenServer", "FraudScreenClient", "FraudScreenTestSupport"]),
        .testTarget(name: "FraudScreenReplayTests", dependencies: ["FraudScreenReplay", "FraudScreenTestSupport"]),
    ]
)
