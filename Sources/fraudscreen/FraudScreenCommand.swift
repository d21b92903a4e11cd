import ArgumentParser
import FraudScreenCore
#if canImport(Glibc)
import Glibc
#endif

/// `fraudscreen`: the command-line tool for hotline staff and rule authors.
@main
struct FraudScreenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fraudscreen",
        abstract: "Screen Chinese text for telecom fraud, and check rule sets.",
        subcommands: [CheckCommand.self, LintCommand.self, ReplayCommand.self, BenchCommand.self]
    )

    /// Parses and runs, turning every failure into one clear line on stderr and exit status 2 (1 is kept for a
    /// failed check: a lint example, a replay gate). Help and version keep ArgumentParser's full output.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as ToolFailure {
            FileOutput.standardError.write("fraudscreen: \(failure.message)\n")
            Glibc.exit(failure.exitCode)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileOutput.standardError.write("fraudscreen: \(message.replacingErrorPrefix()) (see 'fraudscreen --help')\n")
            // 2 for every usage error (ArgumentParser's own is 64): scripts tell 1, a failed check or gate, from 2,
            // a command that could not run as given, whatever the reason.
            Glibc.exit(2)
        }
    }
}

/// An expected failure with a one-line message: bad input, unreadable rules, failed checks.
struct ToolFailure: Error {
    var message: String
    var exitCode: Int32 = 2
}

extension String {
    fileprivate func replacingErrorPrefix() -> String {
        hasPrefix("Error: ") ? String(dropFirst("Error: ".count)) : self
    }
}

/// Options shared by the commands that load a rule set.
struct RulesOptions: ParsableArguments {
    @Option(name: .long, help: "Rule-set directory (default: ./rules when it exists).")
    var rules: String?

    func load() throws -> RuleSet {
        let directory = rules ?? "rules"
        if rules == nil, !FileOutput.isDirectory(directory) {
            throw ToolFailure(message: "no rule set: ./rules does not exist here; pass --rules DIR")
        }
        do {
            return try RuleSetLoader.load(directory: directory)
        } catch let error as RuleSetError {
            throw ToolFailure(message: "rule set rejected: \(error)")
        }
    }
}
