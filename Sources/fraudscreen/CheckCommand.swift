import ArgumentParser
import FraudScreenCore
#if canImport(Glibc)
import Glibc
#endif

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Screen one message and explain the verdict.",
        discussion: "Reads the message from standard input when TEXT is not given."
    )

    @OptionGroup var rules: RulesOptions

    @Flag(name: .long, help: "Print the verdict as a JSON object.")
    var json = false

    @Argument(help: "The message to screen.")
    var text: String?

    /// Larger inputs are refused before screening (screening itself cuts at the rule set's max_text_scalars).
    static let inputLimit = 16 * 1_048_576

    func run() throws {
        try ArgumentValidation.requireUTF8Arguments()
        let message = try readMessage()
        let ruleSet = try rules.load()
        let verdict = Screener(ruleSet: ruleSet).screen(message)
        if json {
            FileOutput.standardOutput.write(verdict.json + "\n")
        } else {
            FileOutput.standardOutput.write(VerdictReport(verdict: verdict, text: message, colour: FileOutput.colourOutput).render())
        }
    }

    private func readMessage() throws -> String {
        let message: String
        if let text {
            message = text
        } else {
            let bytes = try FileOutput.readStandardInput(limit: CheckCommand.inputLimit)
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw ToolFailure(message: "input is not valid UTF-8")
            }
            message = decoded
        }
        guard message.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw ToolFailure(message: "empty input: give the message as TEXT or on standard input")
        }
        return message
    }
}

enum ArgumentValidation {
    /// Swift repairs invalid UTF-8 in arguments silently; a screening tool must refuse it instead.
    static func requireUTF8Arguments() throws {
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let length = strlen(raw)
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: length)
            if String(validating: bytes, as: UTF8.self) == nil {
                throw ToolFailure(message: "argument \(i) is not valid UTF-8")
            }
        }
    }
}
