import Foundation
import Testing
@testable import FraudScreenCore

/// Loading a rule-set directory: which files count, and the content-hash version.
@Suite("Rule-set directories")
struct RuleSetDirectoryTests {
    static let files: [String: String] = [
        "ruleset.yaml": "thresholds: {warn: 20, block: 50}\n",
        "categories.yaml": Fixture.categories,
        "variants.yaml": Fixture.variants,
        "rules.d/brushing.yaml": """
            rules:
              - id: d.brush
                category: brushing
                score: 30
                description: 刷单
                keywords: {any: [刷单]}
                examples: {match: [刷单]}
            """,
        "rules.d/lists.yml": """
            rules:
              - id: d.domain
                category: investment
                score: 30
                description: 黑名单域名
                lists: [{list: domains, entity: url}]
                examples: {match: [evil.com]}
            """,
        "lists/domains.txt": "evil.com\n",
    ]

    @Test("a directory loads with its settings, variants, rules (.yaml and .yml) and lists")
    func loads() throws {
        try withTemporaryDirectory { directory in
            try write(RuleSetDirectoryTests.files, to: directory)
            let ruleSet = try RuleSetLoader.load(directory: directory)
            #expect(ruleSet.rules.map(\.id).sorted() == ["d.brush", "d.domain"])
            let screener = Screener(ruleSet: ruleSet)
            let verdict = screener.screen("刷　單")
            #expect(verdict.decision == .warn)  // 30 ≥ warn 20 from ruleset.yaml
            #expect(screener.firedRules("访问www.evil.com") == ["d.domain"])
            #expect(screener.firedRules("加薇信") == [])
            #expect(RuleLinter.lint(ruleSet).passed)
        }
    }

    @Test("the version is 16 hex digits, the same for the same files, loaded from disk or memory")
    func versionIsContentHash() throws {
        let fromMemory = try RuleSetLoader.compile(files: RuleSetDirectoryTests.files)
        #expect(fromMemory.version.count == 16)
        #expect(fromMemory.version.allSatisfy { $0.isHexDigit })
        #expect(try RuleSetLoader.compile(files: RuleSetDirectoryTests.files).version == fromMemory.version)
        try withTemporaryDirectory { directory in
            try write(RuleSetDirectoryTests.files, to: directory)
            // Files the loader does not read do not change the version.
            try write(["README.md": "notes", "rules.d/notes.txt": "x", "lists/.keep": ""], to: directory)
            #expect(try RuleSetLoader.load(directory: directory).version == fromMemory.version)
        }
    }

    @Test("any change to any file changes the version")
    func versionChanges() throws {
        let base = try RuleSetLoader.compile(files: RuleSetDirectoryTests.files).version
        var changedList = RuleSetDirectoryTests.files
        changedList["lists/domains.txt"] = "evil.com\nworse.com\n"
        var changedSettings = RuleSetDirectoryTests.files
        changedSettings["ruleset.yaml"] = "thresholds: {warn: 21, block: 50}\n"
        var renamed = RuleSetDirectoryTests.files
        renamed["rules.d/brushing2.yaml"] = renamed.removeValue(forKey: "rules.d/brushing.yaml")
        let versions = try [changedList, changedSettings, renamed].map { try RuleSetLoader.compile(files: $0).version }
        #expect(Set(versions + [base]).count == 4)
    }

    @Test("a file that is not UTF-8 is an error naming it")
    func notUTF8() throws {
        try withTemporaryDirectory { directory in
            try write(RuleSetDirectoryTests.files, to: directory)
            let path = directory + "/rules.d/latin1.yaml"
            #expect(FileManager.default.createFile(atPath: path, contents: Data([0x72, 0x75, 0x6C, 0x65, 0x73, 0x3A, 0xE9, 0x0A])))
            do {
                _ = try RuleSetLoader.load(directory: directory)
                Issue.record("loaded a file that is not UTF-8")
            } catch let error as RuleSetError {
                #expect(error.file == "rules.d/latin1.yaml")
            }
        }
    }
}
