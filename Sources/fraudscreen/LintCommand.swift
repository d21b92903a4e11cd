import ArgumentParser
import FraudScreenCore

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate a rule set and run every rule's own examples."
    )

    @OptionGroup var rules: RulesOptions

    func run() throws {
        let ruleSet = try rules.load()
        let report = RuleLinter.lint(ruleSet)
        for warning in report.warnings { FileOutput.standardError.write("warning: \(warning)\n") }
        for failure in report.failures { FileOutput.standardOutput.write("FAIL \(failure)\n") }
        FileOutput.standardOutput.write(
            "\(report.rulesChecked) rules, \(ruleSet.keywordCount) keywords, \(ruleSet.regexCount) regexes, "
            + "\(report.examplesChecked) examples: \(report.failures.isEmpty ? "all pass" : "\(report.failures.count) failing") "
            + "(rules version \(ruleSet.version))\n")
        if !report.passed { throw ToolFailure(message: "\(report.failures.count) example(s) failed", exitCode: 1) }
    }
}
