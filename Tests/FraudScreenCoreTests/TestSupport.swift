import Foundation
import Testing
@testable import FraudScreenCore

/// Small in-memory rule sets for tests: two categories, the evasion variants the tests rely on, and helpers
/// to write rules without repeating the boilerplate every rule needs.
enum Fixture {
    static let categories = """
        categories:
          - id: brushing
            name: 刷单返利
            advice: 所有刷单都是诈骗！
          - id: investment
            name: 虚假投资理财
            advice: 高额回报都是骗局。
            thresholds: {warn: 10, block: 20}
        """

    static let variants = """
        characters:
          账: [帐]
          微: [薇, 威]
          信: [芯]
        words:
          微信: [vx, v信, wx]
          qq: [扣扣]
        """

    /// One rule as a YAML sequence element. `body` holds the rule's conditions, one YAML key per line,
    /// written without indentation.
    static func rule(
        _ id: String, category: String = "brushing", score: Int = 10, _ body: String, match: String = "示例"
    ) -> String {
        let conditions = body.split(separator: "\n", omittingEmptySubsequences: true)
            .map { "    " + $0 }
            .joined(separator: "\n")
        return """
              - id: \(id)
                category: '\(category)'
                score: \(score)
                description: test rule \(id)
            \(conditions)
                examples: {match: ['\(match)']}
            """
    }

    /// Compiles `rules` (written with `rule(...)`) into a rule set with the fixture's categories and variants.
    static func ruleSet(
        _ rules: [String], lists: [String: String] = [:], ruleset: String? = nil, variants: String? = Fixture.variants
    ) throws -> RuleSet {
        var files = ["categories.yaml": categories, "rules.d/test.yaml": "rules:\n" + rules.joined(separator: "\n") + "\n"]
        if let variants { files["variants.yaml"] = variants }
        if let ruleset { files["ruleset.yaml"] = ruleset }
        for (name, contents) in lists { files["lists/\(name).txt"] = contents }
        return try RuleSetLoader.compile(files: files)
    }
}

extension Screener {
    /// Ids of the rules that fired on `text`.
    func firedRules(_ text: String) -> Set<String> {
        Set(screen(text).hits.map(\.ruleID))
    }

    /// Ids of the rules that fired on `document`.
    func firedRules(_ document: Document) -> Set<String> {
        Set(screen(document).hits.map(\.ruleID))
    }
}

extension Verdict {
    func hit(_ id: String) -> RuleHit? { hits.first { $0.ruleID == id } }
}

/// The scalars `span` covers in `text`: what a half-open Unicode-scalar span of the original must denote.
func scalars(of text: String, _ span: TextSpan) -> String {
    let all = Array(text.unicodeScalars)
    var view = String.UnicodeScalarView()
    view.append(contentsOf: all[span.start..<span.end])
    return String(view)
}

/// The error loading `files` throws, or nil when it loads.
func loadError(_ files: [String: String]) -> RuleSetError? {
    do {
        _ = try RuleSetLoader.compile(files: files)
        return nil
    } catch let error as RuleSetError {
        return error
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)")
        return nil
    }
}

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fraudscreen-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Writes `files` (paths relative to `directory`) to disk, creating subdirectories.
func write(_ files: [String: String], to directory: String) throws {
    for (path, contents) in files {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }
}
