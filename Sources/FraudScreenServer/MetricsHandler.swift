import NIOCore

/// The optional metrics socket: every connection gets the Prometheus text exposition and is closed, so a
/// node exporter's textfile job or `socat - UNIX-CONNECT:…` can scrape without speaking the protocol.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ScreeningServer

    init(server: ScreeningServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        server.statistics(on: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            var buffer = context.channel.allocator.buffer(capacity: 4_096)
            switch result {
            case .success(let snapshot): buffer.writeString(snapshot.prometheusText)
            case .failure(let error): buffer.writeString("# error: \(error)\n")
            }
            context.writeAndFlush(handler.wrapOutboundOut(buffer)).whenComplete { _ in bound.value.context.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
