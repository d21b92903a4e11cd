import ArgumentParser
import FraudScreenClient
import FraudScreenCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Screen one message or transaction and explain the verdict.",
        discussion: """
            Reads the message from standard input when TEXT is not given. With --transaction, reads a transaction JSON object (docs/PROTOCOL.md) from FILE, or from standard input when FILE is -.
            """
    )

    @OptionGroup var rules: RulesOptions

    @Flag(name: .long, help: "Print the verdict as a JSON object.")
    var json = false

    @Option(name: .long, help: "Ask the fraudscreend daemon listening on this socket instead of loading rules.")
    var socket: String?

    @Option(name: .long, help: "With --socket: seconds to wait for the daemon's answer (default 30).")
    var timeout: Double?

    @Option(name: .long, help: "Screen a transaction (JSON) from FILE, or - for standard input.")
    var transaction: String?

    @Argument(help: "The message to screen.")
    var text: String?

    /// Larger inputs are refused before screening (screening itself cuts at the rule set's max_text_scalars).
    static let inputLimit = 16 * 1_048_576

    func validate() throws {
        // Finite and bounded: the client counts integer nanoseconds, and converting NaN, infinity or 1e300 traps.
        if let timeout, !(timeout.isFinite && timeout > 0 && timeout <= 86_400) {
            throw ValidationError("--timeout must be above 0 and at most 86400 seconds")
        }
        if timeout != nil, socket == nil { throw ValidationError("--timeout needs --socket") }
        // The daemon screens with the rules it loaded: a --rules beside --socket would be silently ignored.
        if rules.rules != nil, socket != nil { throw ValidationError("--rules and --socket: the daemon screens with its own rules") }
    }

    func run() throws {
        try ArgumentValidation.requireUTF8Arguments()
        let document = try transaction.map(readTransaction) ?? .message(readMessage())
        if let socket { return try askDaemon(socket, document) }
        let verdict = Screener(ruleSet: try rules.load()).screen(document)
        FileOutput.standardOutput.write(json ? verdict.json + "\n" : VerdictReport(verdict: verdict, document: document, colour: FileOutput.colourOutput).render())
    }

    private func readTransaction(_ path: String) throws -> Document {
        if text != nil { throw ToolFailure(message: "give either TEXT or --transaction, not both") }
        let bytes: [UInt8]
        if path == "-" {
            bytes = try FileOutput.readStandardInput(limit: CheckCommand.inputLimit)
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw ToolFailure(message: "cannot read \(path)") }
            bytes = Array(contents)
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw ToolFailure(message: "input is not valid UTF-8") }
        do { return Document(transaction: try TransactionJSON.transaction(from: Data(bytes), .protocolRequest)) } catch {
            throw ToolFailure(message: "invalid transaction: \(error)")
        }
    }

    /// `--socket`: the daemon screens; `--json` prints its answer line (the verdict with the request's `id` and
    /// the daemon's `elapsed_us`), otherwise the same report as in-process.
    private func askDaemon(_ socket: String, _ document: Document) throws {
        let request: ClientRequest = document.transaction.map { .screenTransaction(TransactionRequest($0), listingEntities: true) }
            ?? .screen(text: document.fields[0].text, listingEntities: true)
        let answer: Answer
        do {
            var wait = DaemonClient.defaultTimeout
            if let timeout { wait = .nanoseconds(Int64((timeout * 1e9).rounded(.up))) }
            let client = try DaemonClient.connect(socketPath: socket, timeout: wait)
            defer { client.close() }
            answer = try client.send(request).wait()
        } catch {
            throw ToolFailure(message: "\(error)")
        }
        if let error = answer.error { throw ToolFailure(message: "daemon refused: \(error.code): \(error.message)") }
        if json { return FileOutput.standardOutput.write(answer.line + "\n") }
        guard let report = VerdictReport(answer: answer, daemon: socket, document: document, colour: FileOutput.colourOutput) else {
            throw ToolFailure(message: "the daemon's answer is not a verdict: \(answer.line)")
        }
        FileOutput.standardOutput.write(report.render())
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
