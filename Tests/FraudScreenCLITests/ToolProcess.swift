import Foundation
import FraudScreenTestSupport

/// Runs the real `fraudscreen` executable (built next to the test bundle) as a child process.
struct ToolProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        // The test bundle and the executables share the build products directory.
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = here.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("fraudscreen")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return here.deletingLastPathComponent().appendingPathComponent("fraudscreen")
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func run(_ arguments: [String], stdin: Data? = nil, currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        try process.run()
        // Read both pipes concurrently with writing stdin so large outputs cannot deadlock.
        final class Box: @unchecked Sendable { var data = Data() }
        let out = Box(), err = Box()
        let group = DispatchGroup()
        group.enter(); onOwnThread { out.data = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); onOwnThread { err.data = error.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: out.data, as: UTF8.self),
                      stderr: String(decoding: err.data, as: UTF8.self))
    }
}

/// A small rule set with known behaviour, written to a temporary directory.
struct FixtureRules {
    let directory: URL

    static let categories = SampleRuleSet.categories

    static let rules = """
    rules:
      - id: brushing.core
        category: brushing_rebate
        score: 50
        description: 刷单返佣
        keywords:
          all: [[刷单, 做任务], [佣金, 返利]]
          window: 20
        examples:
          match: [刷单就有佣金]
          no_match: [所有刷单都是诈骗]
      - id: brushing.advance
        category: brushing_rebate
        score: 40
        description: 垫付本金
        keywords: {any: [垫付, 连单]}
        examples:
          match: [先垫付本金]
      - id: authority.safe_account
        category: impersonate_authority
        score: 90
        description: 安全账户
        keywords: {any: [安全账户]}
        unless: [不会要求]
        examples:
          match: [把钱转到安全账户]
          no_match: [公检法不会要求转账到安全账户]
    """

    init(rules: String = FixtureRules.rules, categories: String = FixtureRules.categories) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fraudscreen-cli-\(UUID().uuidString)")
        try SampleRuleSet.write(rules: rules, categories: categories, to: directory)
    }

    var path: String { directory.path }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
