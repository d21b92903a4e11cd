import Testing
@testable import FraudScreenCore

/// `lint` screens every rule's own examples with the whole set and reports the ones that misbehave.
@Suite("Lint")
struct LintTests {
    private func lint(_ rules: String) throws -> RuleLinter.Report {
        RuleLinter.lint(try RuleSetLoader.compile(files: [
            "categories.yaml": Fixture.categories, "variants.yaml": Fixture.variants, "rules.d/lint.yaml": rules,
        ]))
    }

    @Test("a clean set passes, and every example is counted")
    func cleanSet() throws {
        let report = try lint("""
            rules:
              - id: c.brush
                category: brushing
                score: 30
                description: d
                keywords: {any: [刷单]}
                examples:
                  match: [兼职刷单, 刷 单, 刷　單]
                  no_match: [刷牙]
              - id: c.meta
                category: brushing
                score: 10
                description: d
                meta: {all: [c.brush]}
                examples: {match: [刷单日结]}
            """)
        #expect(report.passed)
        #expect(report.failures.isEmpty)
        #expect(report.rulesChecked == 2)
        #expect(report.examplesChecked == 5)
    }

    @Test("a match example that does not match is reported with file, line and rule")
    func failingMatchExample() throws {
        let report = try lint("""
            rules:
              - id: c.ok
                category: brushing
                score: 30
                description: d
                keywords: {any: [刷单]}
                examples: {match: [刷单]}
              - id: c.broken
                category: brushing
                score: 30
                description: d
                keywords: {any: [返利]}
                examples:
                  match: [返利, 反 利 多多]
            """)
        #expect(!report.passed)
        let failure = try #require(report.failures.first)
        #expect(report.failures.count == 1)
        #expect(failure.file == "rules.d/lint.yaml")
        #expect(failure.line == 8)
        #expect(failure.rule == "c.broken")
        #expect(failure.message.contains("反 利 多多"))
        // The message shows the compact form the keywords were matched against.
        #expect(failure.message.contains("反利多多"))
        #expect(failure.description.hasPrefix("rules.d/lint.yaml:8: rule c.broken: "))
    }

    @Test("a no_match example that matches is reported")
    func failingNoMatchExample() throws {
        let report = try lint("""
            rules:
              - id: c.vx
                category: brushing
                score: 30
                description: d
                keywords: {any: [微信]}
                examples:
                  match: [加微信]
                  no_match: [加V信, 加QQ]
            """)
        #expect(report.failures.count == 1)
        let failure = try #require(report.failures.first)
        #expect(failure.line == 2)
        #expect(failure.rule == "c.vx")
        #expect(failure.message.contains("no_match"))
        #expect(failure.message.contains("加V信"))
    }

    @Test("lint reports the set's warnings about unfolded keywords")
    func warnings() throws {
        let report = try lint("""
            rules:
              - id: c.upper
                category: brushing
                score: 30
                description: d
                keywords: {any: [VX]}
                examples: {match: [加vx]}
            """)
        #expect(report.passed)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("rules.d/lint.yaml:2") == true)
    }

    @Test("lint warns about a regex that repeats a group which repeats inside, the shape that backtracks for seconds")
    func nestedRepeats() throws {
        let report = try lint(#"""
            rules:
              - id: c.slow
                category: brushing
                score: 30
                description: d
                regex: '(a+)+(b|\d)'
                examples: {match: [aab]}
            """#)
        #expect(report.passed)
        #expect(report.warnings.count == 1 && report.warnings.first?.contains("the group '(a+)+' repeats and repeats inside") == true,
                "\(report.warnings)")
        for (pattern, group) in [("(a+)+(b|\\d)", "(a+)+"), ("(?:\\w+\\s?)+x", "(?:\\w+\\s?)+"), ("(a{1,3})+", "(a{1,3})+"),
                                 ("((a+)?)*b", "((a+)?)*"), ("(a+|b)+c", "(a+|b)+")] {
            #expect(CompiledRegex.nestedRepeat(in: pattern) == group, "\(pattern)")
        }
        // One way to split a text: a required delimiter after the repeat, a possessive or atomic inner repeat,
        // or a bounded outer repeat.
        for pattern in ["(?:[a-z0-9]+\\.)*[a-z]+", "(a++)+", "(?>a+)+", "((\\d+)-)*", "(?:(?:[a-z0-9-]{1,30}[.]){0,4})x", "[a+]+", "a+b+"] {
            #expect(CompiledRegex.nestedRepeat(in: pattern) == nil, "\(pattern)")
        }
    }
}
