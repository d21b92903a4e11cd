import NIOCore

/// Everything the daemon can be told, from the command line or the configuration file
/// (`ConfigurationFile`, see systemd/fraudscreend.conf). Defaults are for a bank's screening host: small
/// requests, many short ones, both cores.
public struct ServerConfiguration: Sendable {
    /// Where to listen. Ignored when the socket is inherited (`LISTEN_FDS`, systemd socket activation).
    public var socketPath: String?
    /// The rule-set directory.
    public var rulesDirectory: String
    /// Where reports are stored; `report` is refused with `forbidden` when unset.
    public var reportsDirectory: String?
    /// Peers with this uid may run admin operations (`reload`).
    public var adminUID: UInt32?
    /// Peers whose primary or supplementary group is this gid may run admin operations.
    public var adminGID: UInt32?
    /// Group owning the socket file the daemon creates (mode `socketMode`); nil keeps the daemon's group.
    public var socketGroup: UInt32?
    /// Mode of the socket file the daemon creates.
    public var socketMode: UInt32 = 0o660
    /// Optional second socket answering every connection with Prometheus text, then closing.
    public var metricsSocketPath: String?

    /// Longest request line in bytes (without the newline). Longer lines are answered `too_large` and skipped.
    public var maxLineBytes = 65_536
    /// Connections beyond this are answered `overloaded` and closed.
    public var maxConnections = 1_024
    /// Requests read but not yet answered, per connection, before the daemon stops reading from it.
    public var maxInFlight = 256
    /// Requests screened in one go before other connections on the loop get their turn.
    public var batchSize = 32
    /// Connections with nothing outstanding and no traffic for this long are closed (0: never).
    public var idleTimeoutSeconds = 300
    /// How long SIGTERM waits for connections to be answered before closing them anyway.
    public var drainTimeoutSeconds = 10
    /// Event-loop threads (default: `defaultThreads`).
    public var threads: Int?
    /// One per core, at most 16: screening is CPU-bound and one loop per core keeps every core busy, and the
    /// shipped unit's `TasksMax` must leave room for the threads (a 64-core host needed more than it allowed,
    /// and a thread that cannot be created stops the process).
    public static var defaultThreads: Int { min(System.coreCount, 16) }

    public init(socketPath: String? = nil, rulesDirectory: String) {
        self.socketPath = socketPath
        self.rulesDirectory = rulesDirectory
    }
}
