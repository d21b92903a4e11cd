import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `fraudscreend` executable (built next to the test bundle) running as a child process on a
/// temporary socket. Spawned with posix_spawn so tests control the environment and can hand it an
/// inherited listening socket as descriptor 3, as systemd does. Every wait is bounded.
final class DaemonProcess: @unchecked Sendable {
    let directory: URL
    let socketPath: String
    let logPath: String
    private(set) var pid: pid_t = 0
    private var exitStatus: Int32?

    static var executable: String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = here.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("fraudscreend")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return here.deletingLastPathComponent().appendingPathComponent("fraudscreend").path
    }

    static var toolExecutable: String {
        URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("fraudscreen").path
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A fresh temporary directory for one daemon (socket, reports, logs). Short path: sun_path is 108 bytes.
    init() throws {
        directory = URL(fileURLWithPath: "/tmp/fsd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("s.sock").path
        logPath = directory.appendingPathComponent("daemon.log").path
    }

    var reportsDirectory: String { directory.appendingPathComponent("reports").path }

    /// Where today's reports go (`reports-YYYY-MM-DD.jsonl`, UTC day).
    var todaysReportsFile: String {
        let format = DateFormatter()
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd"
        return reportsDirectory + "/reports-" + format.string(from: Date()) + ".jsonl"
    }

    /// `count` screen requests (ids 0…) whose answers are about 4 KB each (entities listed): a few hundred fill
    /// a socket and take a connection past its high-water mark.
    static func largeAnswerRequests(_ count: Int) -> String {
        let text = String(repeating: "加V信做刷单任务 http://t.cn/abc 13800138000 ", count: 20)
        return (0..<count).map { #"{"id":\#($0),"op":"screen","entities":true,"message":{"text":"\#(text)"}}"# + "\n" }.joined()
    }

    /// Starts the daemon with `arguments` (add `--socket socketPath` yourself, or pass `inheritedSocket`).
    /// With `waitForSocket`, returns once a ping is answered.
    /// With `fileLimit`, the daemon starts with that soft and hard limit of open files (`ulimit -n`).
    func start(_ arguments: [String], environment extra: [String: String] = [:], inheritedSocket: Int32? = nil,
               fileLimit: Int? = nil, waitForSocket: Bool = true) throws {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&fileActions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var argv = [DaemonProcess.executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "LISTEN_FDS")
        for (key, value) in extra { environment[key] = value }
        var shell: [String] = []
        if let inheritedSocket {
            posix_spawn_file_actions_adddup2(&fileActions, inheritedSocket, 3)
            // LISTEN_PID must be the daemon's own pid, unknown before spawning: a shell sets it and execs.
            environment["LISTEN_FDS"] = "1"
            shell.append("export LISTEN_PID=$$")
        }
        if let fileLimit { shell.append("ulimit -n \(fileLimit)") }
        if !shell.isEmpty {
            let quoted = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            argv = ["/bin/sh", "-c", (shell + ["exec \(quoted)"]).joined(separator: " && ")]
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        // Signals at their default actions, as systemd starts a service: the test runner may ignore some (SIGHUP),
        // and an ignored disposition is inherited across exec.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let status = posix_spawn(&pid, argv[0], &fileActions, &attributes, cArguments, cEnvironment)
        guard status == 0 else { throw TestFailure("posix_spawn failed: \(String(cString: strerror(status)))") }
        if waitForSocket { try waitUntilAnswering() }
    }

    /// Polls with a ping until the daemon answers (rule loading takes seconds in debug builds).
    func waitUntilAnswering(timeout: Double = 90) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = pollExit() { throw TestFailure("daemon exited with \(status) before answering:\n\(log)") }
            if let socket = try? LineSocket(path: socketPath, timeout: 5) {
                defer { socket.close() }
                if (try? socket.request(#"{"id":"ready","op":"ping"}"#))?.contains("\"ok\":true") == true { return }
            }
            usleep(100_000)
        }
        throw TestFailure("daemon did not answer within \(timeout) s:\n\(log)")
    }

    func signal(_ signalNumber: Int32) {
        if pid > 0, exitStatus == nil { kill(pid, signalNumber) }
    }

    /// The exit status when the daemon has exited (128 + signal when killed), without blocking.
    func pollExit() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        let signalled = status & 0x7F
        exitStatus = signalled == 0 ? (status >> 8) & 0xFF : 128 + signalled
        return exitStatus
    }

    /// Forgets an exited daemon, so the same directory can start another.
    func resetExit() {
        exitStatus = nil
        pid = 0
    }

    /// Waits up to `timeout` seconds for the daemon to exit.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = pollExit() { return status }
            usleep(20_000)
        }
        return nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Whether the log holds `text` within `timeout` seconds: for lines another thread of the daemon writes
    /// while it already answers (the listening socket accepts before the line that says so is logged).
    func logEventually(contains text: String, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !log.contains(text) {
            guard Date() < deadline else { return false }
            usleep(20_000)
        }
        return true
    }

    /// Kills the daemon if still running and removes the directory.
    func stop() {
        if pollExit() == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 10)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A new connection to this daemon.
    func connect(timeout: Double = 30) throws -> LineSocket {
        try LineSocket(path: socketPath, timeout: timeout)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `fraudscreen`, killing it after `timeout` seconds so a hang fails the test instead of stalling it.
func runTool(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: DaemonProcess.toolExecutable)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    process.environment = environment
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
