import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// On a listener: when accepting fails for want of resources (out of file descriptors, kernel memory),
/// stops accepting for a while and says so.
///
/// NIO's `bind` installs no accept back-off, and its `AcceptBackoffHandler` does not help here either: it holds
/// back the next `read`, but after a failed accept NIO still counts a read as pending, so the listener stays
/// registered and the loop wakes for it again at once. The daemon spun a core at 50,000 failed accepts a
/// second while queued clients waited. Turning `autoRead` off deregisters the listener; turning it back on
/// after the pause accepts again.
final class AcceptPauseHandler: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    static let pause = TimeAmount.seconds(1)
    private let logger: Logger
    private var paused = false

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        guard !paused, let options = context.channel.syncOptions else { return }
        paused = true
        logger.warning("cannot accept connections; pausing accept", metadata: [
            "error": "\(String(cString: strerror(error.errnoCode)))", "pause_ms": "\(AcceptPauseHandler.pause.nanoseconds / 1_000_000)",
        ])
        try? options.setOption(.autoRead, value: false)
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = NIOLoopBound(context.channel, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: AcceptPauseHandler.pause) {
            this.value.paused = false
            try? channel.value.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}
