import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import FraudScreenServer
#if canImport(Glibc)
import Glibc
#endif

/// The reports log in-process: what is acknowledged is on disk, and what is not acknowledged is not.
@Suite("Reports log")
struct ReportStoreTests {
    @Test("a report whose fsync fails is answered as failed and is not left in the file for a retry to duplicate")
    func failedFsyncLeavesNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let failing = Locked(false)
        let store = try ReportStore(directory: directory) { descriptor in failing.withLock { $0 } ? -1 : fsync(descriptor) }
        defer { store.close() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        func append(_ line: String) -> Result<Void, Error> {
            let promise = group.next().makePromise(of: Void.self)
            store.append(Array(line.utf8), promise: promise)
            return Result { try promise.futureResult.wait() }
        }
        #expect((try? append(#"{"id":"kept"}"#).get()) != nil)
        failing.withLock { $0 = true }
        #expect((try? append(#"{"id":"lost"}"#).get()) == nil)
        failing.withLock { $0 = false }
        #expect((try? append(#"{"id":"after"}"#).get()) != nil)
        let file = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
        let lines = try String(contentsOfFile: directory + "/" + file[0], encoding: .utf8).split(separator: "\n")
        #expect(lines == [#"{"id":"kept"}"#, #"{"id":"after"}"#])
    }
}
