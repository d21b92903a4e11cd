import ArgumentParser
import Dispatch
import FraudScreenServer
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `fraudscreend`: the screening daemon on a Unix socket (docs/PROTOCOL.md). Thin: options and the
/// configuration file become a `ServerConfiguration`; signals become reload and drain.
@main
struct FraudScreenDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fraudscreend",
        abstract: "Screen Chinese text for telecom fraud, answering newline-delimited JSON on a Unix socket.",
        discussion: """
        SIGHUP reloads the rule set (a broken one is rejected and the old one keeps serving); SIGTERM stops \
        accepting, answers everything received, flushes reports and exits 0. Under systemd the daemon takes \
        an inherited listening socket (LISTEN_FDS) and reports readiness and watchdog pings (NOTIFY_SOCKET).
        Command-line options override the configuration file.
        """
    )

    @Option(name: .long, help: "Configuration file (key = value; see systemd/fraudscreend.conf).")
    var config: String?

    @Option(name: .long, help: "Unix socket to create and listen on (not needed under socket activation).")
    var socket: String?

    @Option(name: .long, help: "Rule-set directory.")
    var rules: String?

    @Option(name: .customLong("reports-dir"), help: "Directory for reported messages (append-only JSONL, fsync'd).")
    var reportsDirectory: String?

    @Option(name: .customLong("admin-group"), help: "Group (name or gid) whose members may reload.")
    var adminGroup: String?

    @Option(name: .customLong("admin-uid"), help: "User (name or uid) who may reload.")
    var adminUID: String?

    @Option(name: .customLong("socket-group"), help: "Group (name or gid) owning the socket file.")
    var socketGroup: String?

    @Option(name: .customLong("socket-mode"), help: "Octal mode of the socket file (default 0660).")
    var socketMode: String?

    @Option(name: .customLong("metrics-socket"), help: "Optional socket answering each connection with Prometheus text.")
    var metricsSocket: String?

    @Option(name: .customLong("max-line-bytes"), help: "Longest request line (default 65536).")
    var maxLineBytes: Int?

    @Option(name: .customLong("max-connections"), help: "Most simultaneous connections (default 1024).")
    var maxConnections: Int?

    @Option(name: .customLong("max-in-flight"), help: "Unanswered requests per connection before reading pauses (default 256).")
    var maxInFlight: Int?

    @Option(name: .customLong("batch-size"), help: "Requests screened before other connections get a turn (default 32).")
    var batchSize: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds before an idle connection is closed; 0 never (default 300).")
    var idleTimeout: Int?

    @Option(name: .customLong("drain-timeout"), help: "Seconds SIGTERM waits for answers to be written before closing connections (default 10; 0: close at once).")
    var drainTimeout: Int?

    @Option(name: .long, help: "Event-loop threads (default: one per core, at most 16).")
    var threads: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    func run() throws {
        // SIGHUP's default action ends the process. Until the handlers are in place (the rules load first, for
        // up to a second) one is only noted, and the reload follows once the daemon serves: the rules on disk may
        // have changed after they were read.
        signal(SIGHUP) { _ in EarlyHangUp.received = 1 }
        // A file-size limit (LimitFSIZE=, ulimit -f) reached by the reports file must fail that report (EFBIG),
        // not end the daemon: SIGXFSZ's default action.
        signal(SIGXFSZ, SIG_IGN)
        #if canImport(Glibc)
        // Blocks of 128 KiB and more (a long request line's buffers, what screening it needs) get pages of their
        // own, handed back when freed. With glibc's default the threshold climbs after the first such free and
        // they come from the heap, between connections' small long-lived buffers, where the holes they leave
        // stay resident: 1,000 clients flooding 64 KiB lines cost 371 KB each, 258 KB each this way. Requests of
        // SMS size never allocate that much.
        // (`mallopt` and `M_MMAP_THRESHOLD` are in <malloc.h>, which the Glibc module does not bring in.)
        if let mallopt = dlsym(nil, "mallopt") {
            let mmapThreshold: CInt = -3
            _ = unsafeBitCast(mallopt, to: (@convention(c) (CInt, CInt) -> CInt).self)(mmapThreshold, 128 * 1_024)
        }
        #endif
        let settings = try mergedSettings()
        let level = try settings["log_level"].map { text -> Logger.Level in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Failure(message: "log_level: unknown level '\(text)' (one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return level
        } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "fraudscreend")
        let configuration = try makeConfiguration(settings)
        logger.info("loading the rule set", metadata: ["rules": "\(configuration.rulesDirectory)"])
        let environment = ProcessInfo.processInfo.environment
        let inherited: [CInt]
        do {
            inherited = try SocketActivation.inheritedListeners(environment: environment)
        } catch {
            throw Failure(message: "\(error)")
        }

        let server: ScreeningServer
        do {
            server = try ScreeningServer(configuration: configuration, logger: logger, environment: environment)
        } catch {
            throw Failure(message: "cannot start: \(error)", exitCode: 1)
        }
        installSignalHandlers(server: server, logger: logger)
        do {
            try server.start(inheritedListeners: inherited, environment: environment)
        } catch {
            throw Failure(message: "cannot listen: \(error)", exitCode: 1)
        }
        if EarlyHangUp.received != 0 {
            logger.info("SIGHUP while starting: reloading the rule set")
            server.reloadFromSignal()
        }
        dispatchMain()
    }

    /// The configuration file's settings with the command-line options laid over them.
    private func mergedSettings() throws -> [String: String] {
        var settings: [String: String] = [:]
        if let config {
            do { settings = try ConfigurationFile.load(path: config) } catch { throw Failure(message: "\(error)") }
        }
        let overrides: [(String, String?)] = [
            ("socket", socket), ("rules", rules), ("reports_dir", reportsDirectory), ("admin_group", adminGroup),
            ("admin_uid", adminUID), ("socket_group", socketGroup), ("socket_mode", socketMode), ("metrics_socket", metricsSocket),
            ("max_line_bytes", maxLineBytes.map(String.init)), ("max_connections", maxConnections.map(String.init)),
            ("max_in_flight", maxInFlight.map(String.init)), ("batch_size", batchSize.map(String.init)),
            ("idle_timeout", idleTimeout.map(String.init)), ("drain_timeout", drainTimeout.map(String.init)),
            ("threads", threads.map(String.init)), ("log_level", logLevel),
        ]
        for (key, value) in overrides { if let value { settings[key] = value } }
        return settings
    }

    private func makeConfiguration(_ settings: [String: String]) throws -> ServerConfiguration {
        guard let rules = settings["rules"] else { throw Failure(message: "no rule set: give --rules DIR (or rules = DIR in the configuration file)") }
        // A rules path that is not a directory is a setting to correct (exit 2); a rule set that fails to load
        // is a start failure (1), told with its file and line.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rules, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(message: "rules: \(rules) is not a directory (or does not exist)")
        }
        var configuration = ServerConfiguration(socketPath: settings["socket"], rulesDirectory: rules)
        configuration.reportsDirectory = settings["reports_dir"]
        configuration.metricsSocketPath = settings["metrics_socket"]
        // Each named with its key: a conf copied to a host without the group says which setting to change.
        func resolve(_ key: String, _ lookUp: (String) throws -> UInt32) throws -> UInt32? {
            do { return try settings[key].map(lookUp) } catch { throw Failure(message: "\(key): \(error)") }
        }
        configuration.adminUID = try resolve("admin_uid", ConfigurationFile.userID)
        configuration.adminGID = try resolve("admin_group", ConfigurationFile.groupID)
        configuration.socketGroup = try resolve("socket_group", ConfigurationFile.groupID)
        if let metrics = configuration.metricsSocketPath, metrics == configuration.socketPath {
            throw Failure(message: "metrics_socket is the same path as socket (\(metrics)): give it a path of its own")
        }
        if let mode = settings["socket_mode"] {
            guard let value = UInt32(mode, radix: 8), value <= 0o777 else { throw Failure(message: "socket_mode '\(mode)' is not an octal mode") }
            configuration.socketMode = value
        }
        func positive(_ key: String, _ minimum: Int = 1) throws -> Int? {
            guard let text = settings[key] else { return nil }
            guard let value = Int(text), value >= minimum else { throw Failure(message: "\(key) must be an integer ≥ \(minimum), not '\(text)'") }
            return value
        }
        configuration.maxLineBytes = try positive("max_line_bytes", 64) ?? configuration.maxLineBytes
        configuration.maxConnections = try positive("max_connections") ?? configuration.maxConnections
        configuration.maxInFlight = try positive("max_in_flight") ?? configuration.maxInFlight
        configuration.batchSize = try positive("batch_size") ?? configuration.batchSize
        configuration.idleTimeoutSeconds = try positive("idle_timeout", 0) ?? configuration.idleTimeoutSeconds
        configuration.drainTimeoutSeconds = try positive("drain_timeout", 0) ?? configuration.drainTimeoutSeconds
        configuration.threads = try positive("threads")
        return configuration
    }

    private func installSignalHandlers(server: ScreeningServer, logger: Logger) {
        let queue = DispatchQueue(label: "fraudscreend.signals")
        for signalNumber in [SIGHUP, SIGTERM, SIGINT] { signal(signalNumber, SIG_IGN) }
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangUp.setEventHandler {
            logger.info("SIGHUP: reloading the rule set")
            server.reloadFromSignal()
        }
        hangUp.resume()
        for signalNumber in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                logger.info("\(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"): shutting down")
                server.drainAndStop()
                Glibc.exit(0)
            }
            source.resume()
            SignalSources.keep(source)
        }
        SignalSources.keep(hangUp)
    }
}

/// A SIGHUP that came before the signal sources existed (written by the C handler, read once after).
private enum EarlyHangUp {
    nonisolated(unsafe) static var received: sig_atomic_t = 0
}

/// Dispatch sources must stay referenced to keep delivering signals.
private enum SignalSources {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    static func keep(_ source: DispatchSourceSignal) { sources.append(source) }
}

/// A startup failure: one line on stderr and the exit code (2: bad usage or configuration, 1: cannot run).
struct Failure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 2
    var description: String { message }
}

extension FraudScreenDaemon {
    /// Runs the command; failures become one line on stderr.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("fraudscreend: \(failure.message)\n".utf8))
            Glibc.exit(failure.exitCode)
        } catch {
            // Help and version print in full; a usage error is one line and exit 2, like every configuration
            // error (ArgumentParser's own is usage text and 64).
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let line = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
            FileHandle.standardError.write(Data("fraudscreend: \(line) (see 'fraudscreend --help')\n".utf8))
            Glibc.exit(2)
        }
    }
}
