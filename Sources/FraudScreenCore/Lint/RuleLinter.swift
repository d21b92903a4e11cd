/// Checks a loaded rule set: every rule's own examples must behave as the author said (`match` examples
/// make the rule fire, `no_match` examples do not), screened with the whole set so meta rules work.
public enum RuleLinter {
    public struct Failure: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var rule: String
        public var message: String
        public var description: String { "\(file):\(line): rule \(rule): \(message)" }
    }

    public struct Report: Sendable {
        public var rulesChecked: Int
        public var examplesChecked: Int
        public var failures: [Failure]
        public var warnings: [String]
        public var passed: Bool { failures.isEmpty }
    }

    public static func lint(_ ruleSet: RuleSet) -> Report {
        let screener = Screener(ruleSet: ruleSet)
        var failures: [Failure] = []
        var examples = 0
        for rule in ruleSet.rules {
            let definition = rule.definition
            for (expected, cases) in [(true, definition.matchExamples), (false, definition.noMatchExamples)] {
                for example in cases {
                    examples += 1
                    let verdict: Verdict
                    if case .transaction(let transaction) = example, let repeats = rule.transaction?.minimumRecentFirstTimeTransfers {
                        // A velocity condition needs history: as many transfers as it asks, against a tracker of
                        // its own, the earlier ones a second apart before the example (the same transfer
                        // screened again counts once).
                        let replaying = Screener(ruleSet: ruleSet)
                        replaying.velocity = VelocityTracker(windowSeconds: Int64(ruleSet.settings.velocityWindowMinutes) * 60)
                        for earlier in stride(from: max(1, repeats) - 1, to: 0, by: -1) {
                            var previous = transaction
                            previous.timestamp = transaction.timestamp.shifted(bySeconds: -Int64(earlier))
                            _ = replaying.screen(Document(transaction: previous))
                        }
                        verdict = replaying.screen(example.document)
                    } else {
                        verdict = screener.screen(example.document)
                    }
                    let fired = verdict.hits.contains { $0.ruleID == rule.id }
                    guard fired != expected else { continue }
                    var detail = ""
                    if case .text(let text) = example { detail = " (compact form: \"\(ruleSet.normalize(text).compactString)\")" }
                    failures.append(Failure(
                        file: definition.file, line: definition.line, rule: rule.id,
                        message: expected
                            ? "does not match its example \(example.summary)\(detail)"
                            : "matches its no_match example \(example.summary)"))
                }
            }
        }
        return Report(rulesChecked: ruleSet.rules.count, examplesChecked: examples, failures: failures, warnings: ruleSet.warnings)
    }
}
