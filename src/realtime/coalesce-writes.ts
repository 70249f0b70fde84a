import type { Server as EngineServer } from 'engine.io';

interface WsTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: { cork(): void; uncork(): void } };
  coalesced?: boolean;
}

/**
 * Fewer system calls for bursts of pushes. engine.io writes each packet queued for a socket as its own WebSocket
 * frame, one write each; when an intake batch or a batch of claims pushes twenty events to the same agent, that is
 * twenty writes. Corking the agent's TCP socket while engine.io writes the queued packets sends them in one.
 * Nothing else changes: same frames, same order. (engine.io 6 over ws 8: the ws socket's `_socket` is its
 * net.Socket; without it, as with long-polling, packets are written as before.)
 */
export function coalesceWebSocketWrites(engine: EngineServer): void {
  engine.on('connection', (socket: { transport: WsTransport; on(event: 'upgrade', fn: (t: WsTransport) => void): void }) => {
    corkBatches(socket.transport);
    socket.on('upgrade', corkBatches);
  });
}

function corkBatches(transport: WsTransport): void {
  if (transport.name !== 'websocket' || transport.coalesced) return;
  transport.coalesced = true;
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    const tcp = transport.socket?._socket;
    if (!tcp || packets.length < 2) return send(packets);
    tcp.cork();
    try {
      send(packets);
    } finally {
      tcp.uncork();
    }
  };
}
