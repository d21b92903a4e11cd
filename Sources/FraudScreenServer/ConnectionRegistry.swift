import NIOCore

/// The open client connections: enforces `max_connections`, counts for `stats`, and is how SIGTERM finds
/// every connection to drain.
struct ConnectionRegistry {
    private(set) var open: [ObjectIdentifier: Channel] = [:]
    private(set) var total: UInt64 = 0
    private(set) var refused: UInt64 = 0
    private(set) var draining = false

    /// Admits a new connection unless the daemon is full or shutting down: its number (1, 2, … since start,
    /// what log lines name it by), or nil.
    mutating func admit(_ channel: Channel, limit: Int) -> UInt64? {
        guard !draining, open.count < limit else {
            refused += 1
            return nil
        }
        open[ObjectIdentifier(channel)] = channel
        total += 1
        return total
    }

    mutating func remove(_ channel: Channel) {
        open[ObjectIdentifier(channel)] = nil
    }

    /// Stops admitting and returns the connections to drain.
    mutating func beginDraining() -> [Channel] {
        draining = true
        return Array(open.values)
    }
}

/// Answers a connection the daemon cannot take (`overloaded`) and closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let message: String

    init(message: String) {
        self.message = message
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        AnswerEncoder.error(id: nil, ProtocolError(.overloaded, message), into: &buffer)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
