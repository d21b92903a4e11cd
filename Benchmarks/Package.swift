// swift-tools-version:6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory, so find out what the repository checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

// Benchmarks for the screening engine, kept out of the root package so the main build and CI tests stay light.
// Run from this directory: `swift package benchmark` (see docs/BENCHMARKS.md).
let package = Package(
    name: "FraudScreenBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        // The default traits of 1.38.1 include "RuntimeInterposer", which on Linux with Swift 6.3 pulls in
        // ordo-one/swift-runtime-interposer (not available offline here); MallocInterposer alone resolves.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The inputs: shipped rules, corpus, the synthetic 10x rule set.
        .target(
            name: "ScreeningFixtures",
            dependencies: [
                .product(name: "FraudScreenCore", package: root),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/ScreeningFixtures"
        ),
        .executableTarget(
            name: "ScreeningBenchmarks",
            dependencies: [
                "ScreeningFixtures",
                .product(name: "FraudScreenCore", package: root),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ScreeningBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Screens the corpus a given number of times and exits: the workload `instructions.sh` counts under
        // cachegrind, where wall-clock timing is meaningless.
        .executableTarget(
            name: "screen-corpus",
            dependencies: [
                "ScreeningFixtures",
                .product(name: "FraudScreenCore", package: root),
            ],
            path: "Sources/ScreenCorpus"
        ),
    ]
)
