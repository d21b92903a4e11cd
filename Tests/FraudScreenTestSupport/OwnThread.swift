import Foundation

/// Runs `body` on a thread of its own.
///
/// Tests block in `send`, `recv` and `readDataToEndOfFile` on purpose (a client the daemon holds back, a pipe
/// read to its end). On Dispatch's global queue such a wait holds one of its few worker threads — on a
/// two-core machine, two — and the work that would end it (the reader of the answers the blocked sender
/// waits for) queues behind it: a test read 75 answers where 300 were owed, all of them after the daemon
/// gave up on the blocked connections.
public func onOwnThread(_ body: @escaping @Sendable () -> Void) {
    Thread(block: body).start()
}
